// A local Sigstore stack for keyless tests: Fulcio, Rekor v1, a TSA and an OIDC token endpoint on
// one 127.0.0.1 server (one free port), plus a trusted_root.json that trusts exactly this stack.
// Built on @sigstore/mock's handler factories with the fidelity fixes of docs/design/sigstore-js.md §3.4:
//   1. Rekor v1 `dsse` entries are canonicalized as real Rekor stores them (the mock logs the
//      proposed entry, which no verifier accepts);
//   2. Rekor v2 is served by a handler of our own on a second log (its own key, at
//      URL/rekor-v2): the mock logs the request instead of an Entry and reports a proof index
//      that does not match its one-entry tree; ours logs a hashedrekord v0.0.2 Entry, the way
//      Rekor v2 stores both message signatures and DSSE (over the PAE), at index 0 of a
//      one-entry tree with a signed checkpoint;
//   3. the TSA is asked again until its GeneralizedTime parses (the mock trims trailing zeros of
//      the fraction, which @sigstore/core rejects about 1 time in 10).
// And one fix of our own: Fulcio checks the identity token's signature, issuer and expiry against
// the stack's OIDC key (the mock decodes any JWT unverified), so tests can see a token rejected;
// trustIssuer() adds another issuer (a real OpenID Provider started by a test) with its JWKS.
// Importing @sigstore/mock turns nock on in this process: use this from tests only, never from src/.
import { createHash, createPublicKey, generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { RFC3161Timestamp } from '@sigstore/core';
import { Entry } from '@sigstore/protobuf-specs/rekor/v2';
import { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, initializeTSA, rekorHandler, tsaHandler } from '@sigstore/mock';

export interface SigstoreStack {
  /** Base URL of every service (they share one server). */
  url: string;
  fulcioUrl: string;
  rekorUrl: string;
  tsaUrl: string;
  /** A Rekor v2 log (its own key, also in the trusted root). */
  rekorV2Url: string;
  /** The `iss` of minted tokens. */
  issuer: string;
  /** Path of a trusted_root.json for exactly this stack's CA, CT log, Rekor key and TSA. */
  trustedRootPath: string;
  /** A temp dir removed by stop(); tests may put files in it. */
  dir: string;
  /** An ES256 identity token for `email` (verified email), valid for 10 minutes. */
  mintToken(email: string, claims?: Record<string, unknown>): string;
  /** Makes Fulcio accept ES256/RS256 tokens of `issuer` signed by one of `keys` (a JWKS). */
  trustIssuer(issuer: string, keys: JsonWebKey[]): void;
  /** Requests served, per API path. */
  requests: Record<string, number>;
  stop(): Promise<void>;
}

const b64 = (b: Uint8Array | ArrayBufferView): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
const b64url = (b: Uint8Array | string): string => Buffer.from(b).toString('base64url');
const spkiDer = (k: KeyObject): Buffer => k.export({ format: 'der', type: 'spki' });
const ecKeyPair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

interface Reply {
  statusCode: number;
  response: string | ArrayBufferView;
  contentType?: string;
}

export async function startSigstoreStack(): Promise<SigstoreStack> {
  const routes = new Map<string, (body: string) => Promise<Reply>>();
  const requests: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const p = new URL(req.url ?? '/', 'http://x').pathname;
      requests[p] = (requests[p] ?? 0) + 1;
      const route = req.method === 'POST' ? routes.get(p) : undefined;
      if (!route) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      route(Buffer.concat(chunks).toString('utf8')).then(
        (r) => {
          const body = typeof r.response === 'string' ? r.response : Buffer.from(r.response.buffer, r.response.byteOffset, r.response.byteLength);
          res.writeHead(r.statusCode, { 'content-type': r.contentType ?? 'text/plain' }).end(body);
        },
        (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e)),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // A separate key for each role, so the trusted root can tell them apart.
  const [caKeys, ctKeys, tlogKeys, tsaKeys, oidcKeys, tlogV2Keys] = [ecKeyPair(), ecKeyPair(), ecKeyPair(), ecKeyPair(), ecKeyPair(), ecKeyPair()];
  const ctlog = await initializeCTLog(ctKeys);
  const ca = await initializeCA(caKeys, ctlog);
  const tlog = await initializeTLog(url, tlogKeys);
  const rekorV2Url = `${url}/rekor-v2`;
  const tlogV2 = await initializeTLog(url, tlogV2Keys);
  const tsa = await initializeTSA(tsaKeys);
  const issuer = url;
  const issuers = new Map<string, KeyObject[]>([[issuer, [oidcKeys.publicKey]]]);

  const fulcio = fulcioHandler(ca, { subjectClaim: 'email' });
  routes.set(fulcio.path, async (body) => {
    const problem = checkToken(body, issuers);
    if (problem) return { statusCode: 401, response: JSON.stringify({ code: 401, message: problem }), contentType: 'application/json' };
    return fulcio.fn(body);
  });

  const rekor = rekorHandler(tlog);
  routes.set(rekor.path, (body) => rekor.fn(canonicalRekorEntry(body)));

  routes.set('/rekor-v2/api/v2/log/entries', (body) => logV2(tlogV2, body));

  const timestamp = tsaHandler(tsa);
  routes.set(timestamp.path, async (body) => {
    for (let attempt = 0; ; attempt++) {
      const r = await timestamp.fn(body);
      if (r.statusCode !== 201 || attempt >= 50) return r;
      try {
        const bytes = typeof r.response === 'string' ? Buffer.from(r.response) : Buffer.from(r.response.buffer, r.response.byteOffset, r.response.byteLength);
        void RFC3161Timestamp.parse(bytes).signingTime;
        return r;
      } catch {
        await new Promise((done) => setTimeout(done, 3)); // the next millisecond has another fraction
      }
    }
  });

  const dir = await mkdtemp(path.join(tmpdir(), 'seal-sigstore-stack-'));
  const trustedRootPath = path.join(dir, 'trusted_root.json');
  const start = new Date(Date.now() - 60_000).toISOString();
  const logKey = (key: Buffer) => ({
    baseUrl: url,
    hashAlgorithm: 'SHA2_256',
    publicKey: { rawBytes: b64(key), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
    logId: { keyId: b64(createHash('sha256').update(key).digest()) },
  });
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [logKey(tlog.publicKey), { ...logKey(tlogV2.publicKey), baseUrl: rekorV2Url }],
    certificateAuthorities: [
      {
        subject: { organization: 'seal-test', commonName: 'seal-test-fulcio' },
        uri: url,
        certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
        validFor: { start },
      },
    ],
    ctlogs: [logKey(spkiDer(ctKeys.publicKey))],
    timestampAuthorities: [
      {
        subject: { organization: 'seal-test', commonName: 'seal-test-tsa' },
        uri: url,
        certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }] },
        validFor: { start },
      },
    ],
  };
  await writeFile(trustedRootPath, JSON.stringify(trustedRoot, null, 2));

  const mintToken = (email: string, claims: Record<string, unknown> = {}): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT' }));
    const body = b64url(JSON.stringify({ iss: issuer, sub: email, email, email_verified: true, aud: 'sigstore', iat: now, exp: now + 600, ...claims }));
    const sig = cryptoSign('sha256', Buffer.from(`${header}.${body}`), { key: oidcKeys.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${header}.${body}.${b64url(sig)}`;
  };

  return {
    url,
    fulcioUrl: url,
    rekorUrl: url,
    tsaUrl: url,
    rekorV2Url,
    issuer,
    trustedRootPath,
    dir,
    mintToken,
    trustIssuer: (iss, keys) =>
      issuers.set(
        iss,
        keys.map((key) => createPublicKey({ key, format: 'jwk' })),
      ),
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Why Fulcio should refuse the token in a signingCert request, or undefined when it is good. */
function checkToken(body: string, issuers: Map<string, KeyObject[]>): string | undefined {
  let token: unknown;
  try {
    token = (JSON.parse(body) as { credentials?: { oidcIdentityToken?: unknown } }).credentials?.oidcIdentityToken;
  } catch {
    return 'malformed request';
  }
  const parts = typeof token === 'string' ? token.split('.') : [];
  if (parts.length !== 3) return 'There was an error processing the identity token';
  const [h, p, s] = parts as [string, string, string];
  let claims: { iss?: string; exp?: number; aud?: unknown };
  let header: { alg?: string };
  try {
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as typeof claims;
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as typeof header;
  } catch {
    return 'There was an error processing the identity token';
  }
  const keys = issuers.get(claims.iss ?? '');
  if (!keys) return 'unknown issuer';
  const alg = header.alg;
  const ok = keys.some((key) =>
    alg === 'ES256'
      ? key.asymmetricKeyType === 'ec' && cryptoVerify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))
      : alg === 'RS256' && key.asymmetricKeyType === 'rsa' && cryptoVerify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url')),
  );
  if (!ok) return 'There was an error processing the identity token';
  // Fulcio wants the token minted for the sigstore audience (its client id).
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes('sigstore')) return 'the token is not for the sigstore audience';
  if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return 'token expired';
  return undefined;
}

/** Rekor v1 stores a dsse entry as hashes and signatures, not as the proposed envelope. */
function canonicalRekorEntry(body: string): string {
  const entry = JSON.parse(body) as {
    kind?: string;
    apiVersion?: string;
    spec?: { proposedContent?: { envelope: string; verifiers: string[] } };
  };
  const proposed = entry.spec?.proposedContent;
  if (entry.kind !== 'dsse' || !proposed) return body;
  const envelope = JSON.parse(proposed.envelope) as { payload: string; signatures: { sig: string }[] };
  const hex = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
  return JSON.stringify({
    apiVersion: entry.apiVersion,
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: hex(proposed.envelope) },
      payloadHash: { algorithm: 'sha256', value: hex(Buffer.from(envelope.payload, 'base64')) },
      signatures: envelope.signatures.map((s, i) => ({ signature: s.sig, verifier: proposed.verifiers[i] ?? proposed.verifiers[0] })),
    },
  });
}

type TLog = Awaited<ReturnType<typeof initializeTLog>>;

/**
 * Rekor v2: a CreateEntryRequest in, a TransparencyLogEntry out. Both request kinds become a
 * hashedrekord v0.0.2 Entry (a dsse request is refused: current Rekor v2 clients log DSSE as a
 * hashedrekord over the PAE), logged through the mock's machinery (checkpoint signed by the log
 * key), as the only entry of its tree: index 0, tree size 1.
 */
async function logV2(tlog: TLog, body: string): Promise<Reply> {
  const bad = (message: string): Reply => ({ statusCode: 400, response: JSON.stringify({ code: 400, message }), contentType: 'application/json' });
  let request: { hashedRekordRequestV002?: { digest?: string; signature?: { content?: string; verifier?: Record<string, unknown> } } };
  try {
    request = JSON.parse(body) as typeof request;
  } catch {
    return bad('malformed request');
  }
  const hr = request.hashedRekordRequestV002;
  if (!hr?.digest || !hr.signature?.content || !hr.signature.verifier)
    return bad('only hashedRekordRequestV002 requests with digest, signature and verifier are accepted');
  const entryJson = Entry.toJSON(
    Entry.fromJSON({
      kind: 'hashedrekord',
      apiVersion: '0.0.2',
      spec: { hashedRekordV002: { data: { algorithm: 'SHA2_256', digest: hr.digest }, signature: hr.signature } },
    }),
  ) as object;
  const logged = (await tlog.logV2(entryJson as never)) as unknown as {
    logId: { keyId: Buffer };
    integratedTime: string;
    canonicalizedBody: Buffer;
    inclusionProof: { treeSize: string; rootHash: Buffer; checkpoint: { envelope: string } };
  };
  const tle = {
    logIndex: '0',
    logId: { keyId: b64(logged.logId.keyId) },
    kindVersion: { kind: 'hashedrekord', version: '0.0.2' },
    integratedTime: '0',
    inclusionProof: {
      logIndex: '0',
      // The root of a one-leaf tree is the leaf hash (RFC 6962); the mock hex-encodes it and then
      // decodes that as base64, so it is computed here.
      rootHash: b64(
        createHash('sha256')
          .update(Buffer.from([0]))
          .update(logged.canonicalizedBody)
          .digest(),
      ),
      treeSize: logged.inclusionProof.treeSize,
      hashes: [],
      checkpoint: { envelope: logged.inclusionProof.checkpoint.envelope },
    },
    canonicalizedBody: b64(logged.canonicalizedBody),
  };
  return { statusCode: 201, response: JSON.stringify(tle), contentType: 'application/json' };
}
