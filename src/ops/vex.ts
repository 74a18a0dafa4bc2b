// OpenVEX orchestration: which VEX documents the gate and the report may trust for an image
// (verified attestations, from the main trust policy or a separate one for the security team, plus
// local --vex files), and `seal vex create`.
import { randomUUID } from 'node:crypto';
import { formatRfc3339 } from '../scan/findings.ts';
import { checkAttestation, type CheckedAttestation, type FoundAttestation } from '../cosign/attestations.ts';
import { openImage } from '../cosign/image.ts';
import type { TrustPolicy } from '../cosign/trust-policy.ts';
import { messageOf, usageError } from '../errors.ts';
import type { Log } from '../log.ts';
import { repositoryName } from '../oci/reference.ts';
import type { StoreOptions } from '../oci/store.ts';
import type { VexSource } from '../vex/apply.ts';
import {
  JUSTIFICATIONS,
  OPENVEX_CONTEXT,
  STATUSES,
  type VexComponent,
  type VexDocument,
  type VexStatement,
  isOpenVexPredicateType,
  validateVexDocument,
} from '../vex/document.ts';
import { mentionsImage } from '../vex/match.ts';
import { parsePurl } from '../vex/purl.ts';
import { version } from '../version.ts';
import type { OpEnv } from './op-env.ts';

export interface VexOptions {
  /** --no-vex: apply no VEX at all. */
  off?: boolean;
  /** --vex-key / --vex-certificate-*: who may sign VEX; default: the policy that verifies the scans. */
  trust?: TrustPolicy;
  /** --vex FILE: unsigned documents applied locally. */
  files?: { name: string; doc: VexDocument }[];
}

export interface VexCollection {
  sources: VexSource[];
  /** The trusted OpenVEX attestations by id, as verified (with the VEX signer's policy when separate). */
  trusted: Map<string, CheckedAttestation>;
}

/**
 * The VEX documents to apply to one image: its verified OpenVEX attestations (documents that fail
 * the OpenVEX schema are ignored with a warning) and the local files. `checked` are the image's
 * attestations as verified with the main policy.
 */
export async function collectVexSources(
  args: { image: string; digest: string; found: FoundAttestation[]; checked: CheckedAttestation[] },
  vex: VexOptions | undefined,
  log: Log,
): Promise<VexCollection> {
  const out: VexCollection = { sources: [], trusted: new Map() };
  if (vex?.off) return out;
  const candidates = args.found.filter((f) => f.claimedPredicateType === undefined || isOpenVexPredicateType(f.claimedPredicateType));
  let verified: CheckedAttestation[];
  if (vex?.trust) {
    const checked = await Promise.all(candidates.map((f) => checkAttestation(f, args.digest, vex.trust!)));
    for (const c of checked) {
      if (!c.verified && isOpenVexPredicateType(c.claimedPredicateType)) {
        log.info(`${args.image}: ignored VEX attestation ${c.id}: it does not verify with the VEX signer (${c.error})`);
      }
    }
    verified = checked.filter((c) => c.verified);
  } else {
    const ids = new Set(candidates.map((f) => f.id));
    verified = args.checked.filter((c) => c.verified && ids.has(c.id));
  }
  for (const c of verified) {
    if (!isOpenVexPredicateType(c.predicateType)) continue;
    const origin = `attestation ${c.id}`;
    try {
      const doc = validateVexDocument(c.statement?.predicate, `VEX ${origin}`);
      out.sources.push({ doc, origin, aboutImage: true });
      out.trusted.set(c.id, c);
    } catch (err) {
      log.warn(`${args.image}: ignored ${messageOf(err)}`);
    }
  }
  for (const f of vex?.files ?? []) out.sources.push({ doc: f.doc, origin: `--vex ${f.name}`, aboutImage: false });
  for (const src of out.sources) {
    const rels = src.doc.statements.map((s) => mentionsImage(s, args.digest));
    if (rels.length && rels.every((r) => r === 'other')) log.debug(`${args.image}: ${src.origin} is about another image, not ${args.digest}; ignored`);
  }
  if (out.sources.length) log.debug(`${args.image}: applying ${out.sources.length} VEX document(s): ${out.sources.map((s) => s.origin).join(', ')}`);
  return out;
}

// ---- seal vex create ----

export interface CreateVexOptions {
  /** An image reference (resolved to its digest) or a purl. */
  product: string;
  vulnerability: string;
  aliases?: string[];
  status: string;
  justification?: string;
  impactStatement?: string;
  actionStatement?: string;
  statusNotes?: string;
  /** Package purls inside the image the statement is about. */
  subcomponents?: string[];
  author: string;
  role?: string;
  /** RFC 3339 or a Date; default now. */
  timestamp?: Date;
  id?: string;
  store: StoreOptions;
}

/** `pkg:oci/NAME@sha256:…?repository_url=REGISTRY/PATH`, the image purl grype and vexctl use. */
export function imagePurl(repository: string, digest: string): string {
  const parts = repository.split('/');
  const name = parts.pop()!;
  const q = parts.length ? `?repository_url=${parts.join('/')}` : '';
  return `pkg:oci/${encodeURIComponent(name)}@${digest.replace(':', '%3A')}${q}`;
}

export async function createVexDocument(opts: CreateVexOptions, env: OpEnv): Promise<{ document: VexDocument; product: string; digest?: string }> {
  const { log } = env;
  if (!(STATUSES as readonly string[]).includes(opts.status)) {
    throw usageError(`invalid --status ${JSON.stringify(opts.status)}`, { hint: `use one of ${STATUSES.join(', ')}` });
  }
  if (opts.justification !== undefined && !(JUSTIFICATIONS as readonly string[]).includes(opts.justification)) {
    throw usageError(`invalid --justification ${JSON.stringify(opts.justification)}`, { hint: `use one of ${JUSTIFICATIONS.join(', ')}` });
  }
  if (opts.status === 'not_affected' && !opts.justification && !opts.impactStatement) {
    throw usageError('a not_affected statement needs --justification (or --impact-statement) saying why', {
      hint: `justifications: ${JUSTIFICATIONS.join(', ')}`,
    });
  }
  if (opts.status === 'affected' && !opts.actionStatement) {
    throw usageError('an affected statement needs --action-statement saying what to do');
  }
  for (const s of opts.subcomponents ?? []) {
    if (!parsePurl(s)) throw usageError(`--subcomponent ${JSON.stringify(s)} is not a package URL`, { hint: 'e.g. pkg:deb/debian/openssl@3.0.11-1~deb12u1' });
  }
  let product: string;
  let digest: string | undefined;
  if (parsePurl(opts.product)) {
    product = opts.product;
  } else if (/^pkg:/i.test(opts.product)) {
    // Not an image either: "pkg:broken" would otherwise be looked up as docker.io/library/pkg:broken.
    throw usageError(`${JSON.stringify(opts.product)} is not a package URL`, {
      hint: 'give pkg:TYPE/NAME@VERSION, e.g. pkg:oci/app@sha256%3A…, or an image reference',
    });
  } else {
    const img = await openImage(opts.product, opts.store, log);
    digest = img.digest;
    // A layout has no repository: its directory name stands for the image name.
    const repo = img.ref.kind === 'layout' ? (img.ref.path.split(/[\\/]/).filter(Boolean).pop() ?? 'image') : repositoryName(img.ref);
    product = imagePurl(repo, img.digest);
    log.info(`Product ${opts.product} is ${img.digest}: ${product}`);
  }
  const component: VexComponent = { '@id': product };
  if (opts.subcomponents?.length) component.subcomponents = opts.subcomponents.map((s) => ({ '@id': s }));
  const statement: VexStatement = {
    vulnerability: { name: opts.vulnerability, ...(opts.aliases?.length ? { aliases: opts.aliases } : {}) },
    products: [component],
    status: opts.status as VexStatement['status'],
  };
  if (opts.justification) statement.justification = opts.justification as VexStatement['justification'];
  if (opts.impactStatement) statement.impact_statement = opts.impactStatement;
  if (opts.actionStatement) statement.action_statement = opts.actionStatement;
  if (opts.statusNotes) statement.status_notes = opts.statusNotes;
  const document: VexDocument = {
    '@context': OPENVEX_CONTEXT,
    '@id': opts.id ?? `https://openvex.dev/docs/public/vex-${randomUUID()}`,
    author: opts.author,
    ...(opts.role ? { role: opts.role } : {}),
    timestamp: formatRfc3339(opts.timestamp ?? new Date()),
    version: 1,
    tooling: `seal ${version}`,
    statements: [statement],
  };
  return { document: validateVexDocument(document, 'the new OpenVEX document'), product, digest };
}
