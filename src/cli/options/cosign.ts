// cosign's flags that seal knows besides its own, so a cosign v2 or v3 script runs unchanged
// (test/fixtures/cosign-cli/cosign-cli-flags.tsv lists them all; docs/cosign-migration.md says
// what each does in seal). A flag is either implemented (declared where its command reads it, or
// translated here into seal's own flag by cosignArgs) or refused: declared hidden with a
// `refuse` reason, and seal stops with exit 2 and one line naming the flag, why, and seal's way.
// Nothing here imports more than yargs' types: every command's builder runs on the fast path.
import type { Argv, Options } from 'yargs';
import { usageError } from '../../errors.ts';
import type { Args } from '../command.ts';

/** An option declaration seal refuses when the flag is set (true, or any value). */
export interface RefusedOption extends Options {
  refuse: string;
}

type FlagType = 'string' | 'boolean' | 'number';

type FlagValue<F extends FlagType> = { string: string; boolean: boolean; number: number }[F];

/**
 * Declares `--name` hidden, refused with `why` (which should end with seal's way, if any). No
 * command reads a refused flag (main.ts stops when one is set), so it adds nothing to the types.
 */
export function refused<T>(y: Argv<T>, name: string, type: FlagType, why: string, alias?: string): Argv<T> {
  const cfg: RefusedOption = { type, hidden: true, refuse: why, describe: `cosign flag, not supported: ${why}` };
  if (alias) cfg.alias = alias;
  return y.option(name, cfg);
}

/** The declaration of a flag seal accepts because it already does what it asks (or it changes nothing in seal): hidden. */
export const acceptedOption = <F extends FlagType>(type: F, why: string) => ({ type, hidden: true, describe: `cosign compatibility: ${why}` });

/** Declares `--name` as acceptedOption does. */
export function accepted<T, K extends string, F extends FlagType>(
  y: Argv<T>,
  name: K,
  type: F,
  why: string,
  extra: Options = {},
): Argv<T & { [k in K]: FlagValue<F> | undefined }> {
  // yargs infers `unknown` for a `type` that is a type parameter; F says which it is.
  return y.option(name, { ...acceptedOption(type, why), ...extra }) as Argv<T & { [k in K]: FlagValue<F> | undefined }>;
}

const SK = 'seal does not drive PIV security keys; use a PKCS#11 token: --key "pkcs11:token=…;object=…"';
const TSA_MTLS = 'seal does not present a client certificate to the timestamp authority; use a TSA reachable over plain TLS with --timestamp-server-url';
const CA_FILES = 'seal verifies certificates against a trusted root; put your CA (and TSA) in a trusted_root.json and pass --trusted-root FILE';

/**
 * Keyless signing flags cosign has (OIDC, Fulcio, signing config), read by signingOptions (key.ts)
 * for the keyless signer; the TSA mTLS and security-key flags are refused.
 */
export const cosignKeylessFlags = <T>(y: Argv<T>) => {
  const declared = y
    .option('oidc-issuer', {
      type: 'string',
      describe: 'Keyless: OIDC provider that issues the identity token (cosign default https://oauth2.sigstore.dev/auth)',
    })
    .option('oidc-client-id', { type: 'string', describe: 'Keyless: OIDC client ID (default sigstore)' })
    .option('oidc-client-secret-file', { type: 'string', describe: 'Keyless: file holding the OIDC client secret' })
    .option('oidc-redirect-url', { type: 'string', describe: 'Keyless: OIDC redirect URL for the browser flow' })
    .option('oidc-provider', {
      type: 'string',
      describe: 'Keyless: the ambient token provider to use (github-actions, spiffe, google, buildkite-agent, envvar, filesystem)',
    })
    .option('oidc-disable-ambient-providers', { type: 'boolean', describe: 'Keyless: never read ambient CI credentials' })
    .option('fulcio-auth-flow', { type: 'string', describe: 'Keyless: normal, device, token or client_credentials' })
    // Visible, so --help says what it does (nothing) rather than a script trusting it does something.
    .option('insecure-skip-verify', {
      type: 'boolean',
      describe:
        'cosign compatibility: changes nothing in seal. cosign checks the SCT of the certificate Fulcio returns when signing; seal does not check it then (nor the certificate chain): both are checked when the signature is verified (verify --insecure-ignore-sct skips the SCT there)',
    })
    .option('signing-config', { type: 'string', describe: 'A signing_config.json naming the Fulcio, Rekor and TSA to use' })
    .option('use-signing-config', { type: 'boolean', describe: 'Take service URLs from the TUF signing config (cosign v3 default true)' });
  let b = accepted(
    declared,
    'trusted-root',
    'string',
    'the trusted root a fresh signature could be checked against; seal checks what it signs with the signing key itself',
  );
  b = refused(b, 'issue-certificate', 'boolean', 'seal cannot get a Fulcio certificate for an existing key; sign keylessly (no --key) for a certificate');
  b = refused(b, 'sk', 'boolean', SK);
  b = refused(b, 'slot', 'string', SK);
  for (const f of ['timestamp-client-cacert', 'timestamp-client-cert', 'timestamp-client-key', 'timestamp-server-name']) {
    b = refused(b, f, 'string', TSA_MTLS);
  }
  return b;
};

/** --new-bundle-format[=bool] where cosign signs: true is seal's --format bundle, false --format legacy. */
export const newBundleFormatFlag = <T>(y: Argv<T>) =>
  y.option('new-bundle-format', {
    type: 'boolean',
    describe: 'cosign v3: true = --format bundle, false = --format legacy (without either, seal writes legacy)',
  });

/** Flags of cosign's image and blob verification commands, beyond trustOptions. */
export const cosignVerifyFlags = <T>(y: Argv<T>) => {
  const declared = y
    .option('insecure-ignore-tlog', {
      type: 'boolean',
      describe: 'Do not require or use transparency log entries (a key signature with a timestamp or none; keyless then needs a TSA timestamp)',
    })
    .option('private-infrastructure', { type: 'boolean', describe: 'cosign: private deployment without Rekor; the same as --insecure-ignore-tlog' })
    .option('insecure-ignore-sct', { type: 'boolean', describe: 'Keyless: do not require the certificate transparency SCT in the certificate' })
    .option('max-workers', { type: 'number', describe: 'cosign: the same as --concurrency' });
  let b = declared
    .option('offline', acceptedOption('boolean', 'seal verifies offline always (trusted root, inclusion proofs and SETs)'))
    .option('rekor-url', acceptedOption('string', 'seal checks log entries offline against the Rekor keys of the trusted root'))
    .option('new-bundle-format', acceptedOption('boolean', 'seal finds and verifies both storage formats'))
    .option('experimental-oci11', acceptedOption('boolean', 'seal always looks at OCI 1.1 referrers'))
    .option('use-signed-timestamps', acceptedOption('boolean', 'seal always verifies the RFC 3161 timestamps a signature carries'))
    .option('allow-certificate-chain', acceptedOption('boolean', 'seal accepts a certificate chain in a bundle when it leads to the trusted root'))
    .option('signature-digest-algorithm', {
      type: 'string',
      hidden: true,
      describe: 'cosign: digest algorithm of a signature (sha224|sha256|sha384|sha512); seal reads it from the key or bundle',
    });
  b = refused(b, 'ca-roots', 'string', CA_FILES);
  b = refused(b, 'ca-intermediates', 'string', CA_FILES);
  b = refused(b, 'timestamp-certificate-chain', 'string', CA_FILES);
  b = refused(b, 'sct', 'string', 'seal reads the SCT embedded in the certificate, not a detached one; pass --insecure-ignore-sct if the certificate has none');
  b = refused(b, 'sk', 'boolean', SK);
  b = refused(b, 'slot', 'string', SK);
  return b;
};

/** --max-age and other cosign-style durations: Go's syntax (1h30m, 3m0s, 500ms) plus days and weeks. */
export function parseGoDuration(value: string, flag: string): number {
  const text = value.trim();
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
  if (/^\d+(\.\d+)?$/.test(text) && Number(text) === 0) return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w)/gy;
  let ms = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    ms += Number(m[1]) * units[m[2]!]!;
    matched = re.lastIndex;
  }
  if (text === '' || matched !== text.length) {
    const sign = text.startsWith('-') ? ' (it cannot be negative)' : '';
    throw usageError(`invalid ${flag} "${value}"${sign}: use a duration such as 3m0s, 90s, 1h30m or 500ms`);
  }
  return Math.round(ms);
}

const REFERRERS_MODES = ['legacy', 'oci-1-1'];

/**
 * Translates cosign's spellings into seal's for the command at `path` (e.g. ['verify']), in place,
 * and refuses values seal cannot honour. Runs after parsing, before the command's `run`.
 */
export function cosignArgs(path: readonly string[], argv: Args): void {
  const command = path.join(' ');
  const set = (name: string, value: unknown) => {
    argv[name] = value;
    argv[name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())] = value;
  };
  const given = (name: string) => argv[name] !== undefined;

  if (given('attachment-tag-prefix') && typeof argv['attachment-tag-prefix'] !== 'string') {
    throw usageError('--attachment-tag-prefix needs a value');
  }
  if (given('private-infrastructure') && argv['private-infrastructure'] === true) set('insecure-ignore-tlog', true);
  if (given('insecure-ignore-tlog') && argv['insecure-ignore-tlog'] === true && argv['require-tlog'] === true) {
    throw usageError('--require-tlog and --insecure-ignore-tlog contradict each other');
  }
  if (given('max-workers')) {
    const n = argv['max-workers'];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw usageError(`invalid --max-workers "${String(n)}": use a whole number from 1`);
    if ('concurrency' in argv) set('concurrency', n);
  }
  if (given('signature-digest-algorithm')) {
    const alg = String(argv['signature-digest-algorithm']).toLowerCase();
    if (!['sha224', 'sha256', 'sha384', 'sha512'].includes(alg)) {
      throw usageError(`invalid --signature-digest-algorithm "${alg}": use sha224, sha256, sha384 or sha512`);
    }
  }
  if (given('registry-referrers-mode')) {
    const mode = String(argv['registry-referrers-mode']);
    if (!REFERRERS_MODES.includes(mode)) throw usageError(`invalid --registry-referrers-mode "${mode}": use legacy or oci-1-1`);
    // Signing in OCI 1.1 mode stores the signature as a referrer: seal's bundle format (what cosign v3 writes).
    if (command === 'sign' && argv.format === undefined && mode === 'oci-1-1') set('format', 'bundle');
    if (command === 'attach sbom' && mode === 'oci-1-1') {
      throw usageError('--registry-referrers-mode oci-1-1: seal attach sbom stores SBOMs as .sbom images', {
        hint: 'for an SBOM referrer, attest it: seal attest --type spdxjson (or cyclonedx) --format bundle --predicate SBOM IMAGE',
      });
    }
  }
  if (given('new-bundle-format') && (command === 'sign' || command === 'attest')) {
    const want = argv['new-bundle-format'] === true ? 'bundle' : 'legacy';
    if (argv.format !== undefined && argv.format !== want) {
      throw usageError(`--new-bundle-format=${String(argv['new-bundle-format'])} and --format ${String(argv.format)} contradict each other`);
    }
    set('format', want);
  }
  // cosign v3 signs in the bundle format by default, and --bundle FILE gets that bundle.
  if (command === 'sign' && given('bundle') && argv.format === undefined && !given('new-bundle-format')) set('format', 'bundle');
  if (argv['check-claims'] === false && (command === 'verify' || command === 'verify-attestation')) {
    throw usageError('--check-claims=false: seal always checks that the signed payload names the image digest', {
      hint: 'drop the flag',
    });
  }
  if (given('rekor-entry-type') && argv['rekor-entry-type'] !== 'dsse') {
    throw usageError(`--rekor-entry-type ${String(argv['rekor-entry-type'])}: seal logs attestations as dsse entries only`, {
      hint: 'drop the flag, or pass --rekor-entry-type dsse',
    });
  }
  if (argv['local-image'] === true) {
    // cosign --local-image: the argument is a directory written by `cosign save`, an OCI layout.
    const toLayout = (ref: string) => (ref.startsWith('oci:') ? ref : `oci:${ref}`);
    if (Array.isArray(argv.images))
      set(
        'images',
        argv.images.map((i: unknown) => toLayout(String(i))),
      );
    if (typeof argv.image === 'string') set('image', toLayout(argv.image));
  }
  if (argv['sig-only'] === true) {
    if (argv.only !== undefined && argv.only !== 'sig') throw usageError('--sig-only and --only contradict each other');
    set('only', 'sig');
  }
  if (argv.yes === true && command === 'import-key-pair') set('force', true);
}

/** The refused flag that is set in argv, if any (`refusals`: option name → reason). */
export function refusedFlag(argv: Args, refusals: ReadonlyMap<string, string>): SealErrorLine | undefined {
  for (const [name, why] of refusals) {
    const v = argv[name];
    if (v === undefined || v === false || (Array.isArray(v) && v.length === 0)) continue;
    return { flag: `--${name}`, why };
  }
  return undefined;
}

export interface SealErrorLine {
  flag: string;
  why: string;
}

/** The closest of `candidates` to `word` when it is close enough to be a typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return best !== undefined && bestDistance <= limit ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_v, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
