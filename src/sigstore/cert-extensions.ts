// Fulcio certificate extensions (OIDs under 1.3.6.1.4.1.57264.1, Fulcio's docs/oid-info.md) and
// exact-match checks on them, for --certificate-github-workflow-* and --certificate-extension.
//
// Two encodings exist. The deprecated GitHub extensions .1.1-.1.6 hold the raw string as the
// extension value; everything from .1.8 on holds a DER-encoded UTF8String. Fulcio still writes
// both for GitHub Actions, but the deprecated ones may go, so each GitHub check reads its
// deprecated OID first (what cosign compares) and, only when that is absent, the 1.8+ extension
// with the same meaning. The workflow name (.1.4) has no successor.
import { SealError } from '../errors.ts';

const FULCIO = '1.3.6.1.4.1.57264.1';

/** What a check compares: a deprecated raw-string OID and the 1.8+ one to fall back on. */
interface GithubField {
  flag: string;
  name: string;
  oid: string;
  successor?: { oid: string; convert?: (value: string) => string | undefined };
}

export const GITHUB_WORKFLOW_FIELDS = {
  trigger: { flag: '--certificate-github-workflow-trigger', name: 'GitHub Workflow Trigger', oid: `${FULCIO}.2`, successor: { oid: `${FULCIO}.20` } },
  sha: { flag: '--certificate-github-workflow-sha', name: 'GitHub Workflow SHA', oid: `${FULCIO}.3`, successor: { oid: `${FULCIO}.13` } },
  name: { flag: '--certificate-github-workflow-name', name: 'GitHub Workflow Name', oid: `${FULCIO}.4` },
  repository: {
    flag: '--certificate-github-workflow-repository',
    name: 'GitHub Workflow Repository',
    oid: `${FULCIO}.5`,
    // Source Repository URI is https://github.com/OWNER/REPO; only github.com is mapped back, so a
    // certificate from another host never satisfies an OWNER/REPO comparison by accident.
    successor: { oid: `${FULCIO}.12`, convert: (uri) => (uri.startsWith('https://github.com/') ? uri.slice('https://github.com/'.length) : undefined) },
  },
  ref: { flag: '--certificate-github-workflow-ref', name: 'GitHub Workflow Ref', oid: `${FULCIO}.6`, successor: { oid: `${FULCIO}.14` } },
} as const satisfies Record<string, GithubField>;

export type GithubWorkflowField = keyof typeof GITHUB_WORKFLOW_FIELDS;

/** Names for messages and reports; an OID not listed is shown by number only. */
const OID_NAMES: Record<string, string> = {
  [`${FULCIO}.1`]: 'Issuer (deprecated)',
  [`${FULCIO}.2`]: 'GitHub Workflow Trigger',
  [`${FULCIO}.3`]: 'GitHub Workflow SHA',
  [`${FULCIO}.4`]: 'GitHub Workflow Name',
  [`${FULCIO}.5`]: 'GitHub Workflow Repository',
  [`${FULCIO}.6`]: 'GitHub Workflow Ref',
  [`${FULCIO}.8`]: 'Issuer',
  [`${FULCIO}.9`]: 'Build Signer URI',
  [`${FULCIO}.10`]: 'Build Signer Digest',
  [`${FULCIO}.11`]: 'Runner Environment',
  [`${FULCIO}.12`]: 'Source Repository URI',
  [`${FULCIO}.13`]: 'Source Repository Digest',
  [`${FULCIO}.14`]: 'Source Repository Ref',
  [`${FULCIO}.15`]: 'Source Repository Identifier',
  [`${FULCIO}.16`]: 'Source Repository Owner URI',
  [`${FULCIO}.17`]: 'Source Repository Owner Identifier',
  [`${FULCIO}.18`]: 'Build Config URI',
  [`${FULCIO}.19`]: 'Build Config Digest',
  [`${FULCIO}.20`]: 'Build Trigger',
  [`${FULCIO}.21`]: 'Run Invocation URI',
  [`${FULCIO}.22`]: 'Source Repository Visibility At Signing',
};

/** The deprecated extensions whose value is the raw string, not DER. */
const RAW_STRING_OIDS = new Set([1, 2, 3, 4, 5, 6].map((n) => `${FULCIO}.${n}`));

/** What the user asked for: GitHub fields by name, other extensions by OID. */
export interface ExtensionPolicy {
  github?: Partial<Record<GithubWorkflowField, string>>;
  /** OID → the exact value (--certificate-extension OID=VALUE). */
  oids?: Record<string, string>;
}

/** One check to make on the certificate. */
export interface ExtensionRequirement {
  /** The flag that asked for it, for messages. */
  flag: string;
  name: string;
  oid: string;
  successor?: GithubField['successor'];
  expected: string;
}

/** One check as made, for reports. `oid` is where `found` was read from. */
export interface ExtensionCheck {
  name: string;
  oid: string;
  expected: string;
  found: string;
}

const OID_SYNTAX = /^[0-2](\.(0|[1-9][0-9]*))+$/;

/** Validates a policy (usage errors) and lists the checks, GitHub fields first. */
export function extensionRequirements(policy: ExtensionPolicy | undefined): ExtensionRequirement[] {
  const out: ExtensionRequirement[] = [];
  for (const [key, expected] of Object.entries(policy?.github ?? {})) {
    if (expected === undefined) continue;
    const field: GithubField | undefined = GITHUB_WORKFLOW_FIELDS[key as GithubWorkflowField];
    if (!field) throw new SealError('usage', `unknown GitHub workflow field ${key}`);
    if (expected === '') throw new SealError('usage', `${field.flag} is empty`);
    out.push({ flag: field.flag, name: field.name, oid: field.oid, successor: field.successor, expected });
  }
  for (const [oid, expected] of Object.entries(policy?.oids ?? {})) {
    if (!OID_SYNTAX.test(oid)) {
      throw new SealError('usage', `--certificate-extension: ${JSON.stringify(oid)} is not an OID`, {
        hint: 'write OID=VALUE, e.g. 1.3.6.1.4.1.57264.1.11=github-hosted',
      });
    }
    const github = out.find((r) => r.oid === oid || r.successor?.oid === oid);
    if (github && github.oid === oid && github.expected !== expected) {
      throw new SealError('usage', `--certificate-extension ${oid} and ${github.flag} ask for different values`);
    }
    out.push({ flag: '--certificate-extension', name: OID_NAMES[oid] ?? oid, oid, expected });
  }
  return out;
}

/** Parses repeated `OID=VALUE` arguments; the value may contain `=`. */
export function parseExtensionArgs(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) {
      throw new SealError('usage', `--certificate-extension ${JSON.stringify(arg)} is not OID=VALUE`, {
        hint: 'e.g. --certificate-extension 1.3.6.1.4.1.57264.1.11=github-hosted',
      });
    }
    const oid = arg.slice(0, eq).trim();
    const value = arg.slice(eq + 1);
    if (Object.hasOwn(out, oid) && out[oid] !== value) {
      throw new SealError('usage', `--certificate-extension ${oid} was given twice with different values`);
    }
    out[oid] = value;
  }
  return out;
}

/** Reads an extension's value bytes by OID; the caller passes the leaf certificate's lookup. */
export type ExtensionLookup = (oid: string) => Uint8Array | undefined;

/**
 * The extension's value as a string: the raw bytes for the deprecated .1.1-.1.6, otherwise a
 * DER string (UTF8String, IA5String or PrintableString) when the bytes are exactly one, else the
 * raw bytes as UTF-8 (a non-Fulcio extension holding a bare string).
 */
export function extensionString(oid: string, value: Uint8Array): string {
  const bytes = Buffer.from(value);
  if (RAW_STRING_OIDS.has(oid)) return bytes.toString('utf8');
  return derString(bytes) ?? bytes.toString('utf8');
}

/** A DER UTF8String/IA5String/PrintableString spanning all of `b`, or undefined. */
function derString(b: Buffer): string | undefined {
  if (b.length < 2 || ![0x0c, 0x16, 0x13].includes(b[0]!)) return undefined;
  let len = b[1]!;
  let start = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || b.length < 2 + n) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[2 + i]!;
    start = 2 + n;
  }
  if (start + len !== b.length) return undefined;
  return b.subarray(start).toString('utf8');
}

/** Where a requirement's value is read from: its OID, else its successor (converted). */
function lookup(req: ExtensionRequirement, ext: ExtensionLookup): { oid: string; value: string } | undefined {
  const own = ext(req.oid);
  if (own !== undefined) return { oid: req.oid, value: extensionString(req.oid, own) };
  if (!req.successor) return undefined;
  const next = ext(req.successor.oid);
  if (next === undefined) return undefined;
  const raw = extensionString(req.successor.oid, next);
  const value = req.successor.convert ? req.successor.convert(raw) : raw;
  return value === undefined ? undefined : { oid: req.successor.oid, value };
}

/**
 * Checks every requirement (exact, byte-for-byte string equality) and returns them as made.
 * Throws a verification error naming the first extension that is missing or differs.
 */
export function checkExtensions(reqs: readonly ExtensionRequirement[], ext: ExtensionLookup): ExtensionCheck[] {
  const checks: ExtensionCheck[] = [];
  for (const req of reqs) {
    const found = lookup(req, ext);
    const where = req.successor ? `${req.oid} or ${req.successor.oid}` : req.oid;
    const label = req.name === req.oid ? `extension ${req.oid}` : `extension ${req.name} (${where})`;
    if (found === undefined) {
      throw new SealError('verification', `the certificate has no ${label}; expected ${JSON.stringify(req.expected)} (${req.flag})`, {
        code: 'EXTENSION_MISSING',
      });
    }
    if (found.value !== req.expected) {
      throw new SealError('verification', `certificate ${label} is ${JSON.stringify(found.value)}, expected ${JSON.stringify(req.expected)} (${req.flag})`, {
        code: 'EXTENSION_MISMATCH',
      });
    }
    checks.push({ name: req.name, oid: found.oid, expected: req.expected, found: found.value });
  }
  return checks;
}
