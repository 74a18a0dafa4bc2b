// seal trusted-root create: a trusted_root.json for a private Sigstore deployment (or one that adds
// a service to the public-good root), from cosign's service specifications. The result is parsed
// back by the same code that reads --trusted-root, so what is written is what verification takes.
import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import { SealError, messageOf } from '../errors.ts';
import { parseServiceSpec, specTime } from '../sigstore/service-spec.ts';

export const TRUSTED_ROOT_MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot+json;version=0.1';

export interface TrustedRootCreateOptions {
  fulcio: string[];
  rekor: string[];
  ctfe: string[];
  tsa: string[];
  /** Start from the current public-good root (the TUF cache, else the embedded one). */
  withDefaultServices: boolean;
  noDefault: { fulcio?: boolean; rekor?: boolean; ctfe?: boolean; tsa?: boolean };
  tufCacheDir?: string;
}

type Json = Record<string, unknown>;
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

async function readInputFile(flag: string, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new SealError('input', `--${flag}: cannot read ${file}: ${messageOf(err)}`);
  }
}

async function certificates(flag: string, file: string): Promise<X509Certificate[]> {
  const pem = (await readInputFile(flag, file)).toString('utf8');
  const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => m[0]);
  if (blocks.length === 0) throw new SealError('input', `--${flag}: no PEM certificate in ${file}`);
  return blocks.map((b) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new SealError('input', `--${flag}: a certificate in ${file} does not parse: ${messageOf(err)}`);
    }
  });
}

function subjectOf(cert: X509Certificate): Json {
  const rdn = (name: string) => new RegExp(`(?:^|\\n)${name}=([^\\n]*)`).exec(cert.subject)?.[1];
  const o = rdn('O');
  const cn = rdn('CN');
  return { ...(o ? { organization: o } : {}), ...(cn ? { commonName: cn } : {}) };
}

const iso = (d: string) => new Date(d).toISOString().replace(/\.000Z$/, 'Z');
const validFor = (start: string | undefined, end: string | undefined): Json => ({ start, ...(end ? { end } : {}) });

async function certificateAuthority(flag: 'fulcio' | 'tsa', spec: string): Promise<Json> {
  const s = parseServiceSpec(flag, spec, ['url', 'certificate-chain'], ['start-time', 'end-time']);
  const chain = await certificates(flag, s['certificate-chain']!);
  if (flag === 'tsa') {
    if (chain[0]!.ca) throw new SealError('input', `--tsa: the first certificate of ${s['certificate-chain']} must be the TSA's leaf, not a CA`);
    if (chain.length < 2) throw new SealError('input', `--tsa: ${s['certificate-chain']} needs the leaf and the chain up to its root`);
  }
  const root = chain[chain.length - 1]!;
  const start = specTime(flag, 'start-time', s['start-time']) ?? iso((flag === 'tsa' ? chain[0]! : root).validFrom);
  return {
    subject: subjectOf(root),
    uri: s.url,
    certChain: { certificates: chain.map((c) => ({ rawBytes: b64(c.raw) })) },
    validFor: validFor(start, specTime(flag, 'end-time', s['end-time'])),
  };
}

function keyDetails(key: KeyObject): string {
  const d = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return 'PKIX_ED25519';
    case 'ec': {
      const curve = { prime256v1: 'P256_SHA_256', secp384r1: 'P384_SHA_384', secp521r1: 'P521_SHA_512' }[d.namedCurve ?? ''];
      if (!curve) throw new SealError('input', `unsupported curve ${d.namedCurve} for a log key`);
      return `PKIX_ECDSA_${curve}`;
    }
    case 'rsa':
      return `PKIX_RSA_PKCS1V15_${d.modulusLength ?? 2048}_SHA256`;
    default:
      throw new SealError('input', `unsupported log key type ${key.asymmetricKeyType}`);
  }
}

/**
 * A log's key id: sha256 of its DER public key (Rekor v1, CT logs); for a log named by `origin`
 * (Rekor v2, checkpoints in the signed-note format) the note key hash, sha256(origin "\n" type key):
 * type 0x01 with the raw Ed25519 key, 0x02 with the DER key for ECDSA.
 */
function logId(key: KeyObject, origin: string | undefined): Buffer {
  const der = key.export({ format: 'der', type: 'spki' });
  if (!origin) return createHash('sha256').update(der).digest();
  const typed = key.asymmetricKeyType === 'ed25519' ? Buffer.concat([Buffer.from([1]), der.subarray(-32)]) : Buffer.concat([Buffer.from([2]), der]);
  return createHash('sha256')
    .update(Buffer.concat([Buffer.from(`${origin}\n`), typed]))
    .digest();
}

async function transparencyLog(flag: 'rekor' | 'ctfe', spec: string): Promise<Json> {
  const s = parseServiceSpec(flag, spec, ['url', 'public-key', 'start-time'], ['end-time', 'origin']);
  let key: KeyObject;
  try {
    key = createPublicKey(await readInputFile(flag, s['public-key']!));
  } catch (err) {
    if (err instanceof SealError) throw err;
    throw new SealError('input', `--${flag}: ${s['public-key']} is not a PEM public key: ${messageOf(err)}`);
  }
  return {
    baseUrl: s.url,
    hashAlgorithm: 'SHA2_256',
    publicKey: {
      rawBytes: b64(key.export({ format: 'der', type: 'spki' })),
      keyDetails: keyDetails(key),
      validFor: validFor(specTime(flag, 'start-time', s['start-time']), specTime(flag, 'end-time', s['end-time'])),
    },
    logId: { keyId: b64(logId(key, s.origin)) },
  };
}

export async function createTrustedRoot(o: TrustedRootCreateOptions): Promise<Json> {
  let base: Json = {};
  if (o.withDefaultServices) {
    const [{ loadDefaultTrustedRoot }, { TrustedRoot }] = await Promise.all([import('../sigstore/trusted-root.ts'), import('@sigstore/protobuf-specs')]);
    base = TrustedRoot.toJSON((await loadDefaultTrustedRoot({ tufCacheDir: o.tufCacheDir })).root) as Json;
  }
  const keep = (section: string, drop: boolean | undefined): Json[] => (drop ? [] : ((base[section] as Json[] | undefined) ?? []));
  const doc = {
    mediaType: TRUSTED_ROOT_MEDIA_TYPE,
    tlogs: [...keep('tlogs', o.noDefault.rekor), ...(await Promise.all(o.rekor.map((s) => transparencyLog('rekor', s))))],
    certificateAuthorities: [
      ...keep('certificateAuthorities', o.noDefault.fulcio),
      ...(await Promise.all(o.fulcio.map((s) => certificateAuthority('fulcio', s)))),
    ],
    ctlogs: [...keep('ctlogs', o.noDefault.ctfe), ...(await Promise.all(o.ctfe.map((s) => transparencyLog('ctfe', s))))],
    timestampAuthorities: [...keep('timestampAuthorities', o.noDefault.tsa), ...(await Promise.all(o.tsa.map((s) => certificateAuthority('tsa', s))))],
  };
  if (doc.tlogs.length + doc.certificateAuthorities.length + doc.timestampAuthorities.length === 0) {
    throw new SealError('usage', 'the trusted root would trust nothing', { hint: 'give --fulcio, --rekor or --tsa (or --with-default-services)' });
  }
  const { parseTrustedRoot } = await import('../sigstore/trusted-root-json.ts');
  parseTrustedRoot(doc, 'the created trusted root');
  return doc;
}
