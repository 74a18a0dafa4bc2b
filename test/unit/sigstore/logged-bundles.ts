// Key-signed bundles WITH a transparency log entry, made in the test: a throwaway "Rekor" key in
// a trusted root the test writes, an entry body (hashedrekord or dsse v0.0.1) and its signed entry
// timestamp (SET) computed as Rekor does. Enough to forge each part of an entry on purpose.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

import { json as canonicalJson } from '@sigstore/core';

import { dsseBundle, messageBundle, type TestKey } from './key-bundles.ts';

export interface TestLog {
  privateKey: KeyObject;
  logId: Buffer;
  /** trusted_root.json text that trusts this log. */
  trustedRoot: string;
}

export function testLog(baseUrl = 'https://rekor.seal.test'): TestLog {
  const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const der = pair.publicKey.export({ format: 'der', type: 'spki' });
  const logId = createHash('sha256').update(der).digest();
  const trustedRoot = JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: der.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: '2020-01-01T00:00:00Z' } },
        logId: { keyId: logId.toString('base64') },
      },
    ],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  });
  return { privateKey: pair.privateKey, logId, trustedRoot };
}

export interface EntryOverrides {
  integratedTime?: number;
  logIndex?: number;
  /** Replaces the body after the SET is computed (a forged body under a genuine SET). */
  forgeBody?: (body: Record<string, any>) => void;
  /** Changes the body before the SET is computed (a genuine SET over a wrong body). */
  editBody?: (body: Record<string, any>) => void;
  /** Signs the SET with another key (an entry from a log the root does not know). */
  signer?: KeyObject;
}

const b64 = (b: Uint8Array | string) => Buffer.from(b).toString('base64');

function entry(log: TestLog, body: Record<string, any>, o: EntryOverrides): Record<string, unknown> {
  o.editBody?.(body);
  const bodyB64 = b64(canonicalJson.canonicalize(body));
  const integratedTime = o.integratedTime ?? Math.floor(Date.now() / 1000) - 60;
  const logIndex = o.logIndex ?? 42;
  const payload = canonicalJson.canonicalize({ body: bodyB64, integratedTime, logIndex, logID: log.logId.toString('hex') });
  const set = sign('sha256', Buffer.from(payload), o.signer ?? log.privateKey);
  let canonicalizedBody = bodyB64;
  if (o.forgeBody) {
    o.forgeBody(body);
    canonicalizedBody = b64(canonicalJson.canonicalize(body));
  }
  return {
    logIndex: String(logIndex),
    logId: { keyId: log.logId.toString('base64') },
    kindVersion: { kind: body.kind, version: body.apiVersion },
    integratedTime: String(integratedTime),
    inclusionPromise: { signedEntryTimestamp: set.toString('base64') },
    canonicalizedBody,
  };
}

/** cosign's legacy `dev.sigstore.cosign/bundle` annotation (a RekorBundle) for a log entry body. */
export function rekorBundleAnnotation(log: TestLog, body: Record<string, any>, o: EntryOverrides = {}): string {
  const e = entry(log, body, o) as { canonicalizedBody: string; integratedTime: string; logIndex: string; inclusionPromise: { signedEntryTimestamp: string } };
  return JSON.stringify({
    SignedEntryTimestamp: e.inclusionPromise.signedEntryTimestamp,
    Payload: { body: e.canonicalizedBody, integratedTime: Number(e.integratedTime), logIndex: Number(e.logIndex), logID: log.logId.toString('hex') },
  });
}

/** A message-signature bundle over `artifact`, logged as a hashedrekord entry. */
export function loggedMessageBundle(key: TestKey, log: TestLog, artifact: Uint8Array, o: EntryOverrides = {}): Record<string, any> {
  const bundle = messageBundle(key, artifact) as Record<string, any>;
  const ms = bundle.messageSignature;
  const body = {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: 'sha256', value: Buffer.from(ms.messageDigest.digest, 'base64').toString('hex') } },
      signature: { content: ms.signature, publicKey: { content: b64(key.publicKeyPem) } },
    },
  };
  bundle.verificationMaterial.tlogEntries = [entry(log, body, o)];
  // v0.1: an inclusion promise (SET) alone proves inclusion; v0.2+ would require a proof.
  bundle.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=0.1';
  return bundle;
}

/** A DSSE bundle over a statement naming `subjects`, logged as a dsse entry. */
export function loggedDsseBundle(key: TestKey, log: TestLog, subjects: string[], o: EntryOverrides = {}): Record<string, any> {
  const bundle = dsseBundle(key, subjects) as Record<string, any>;
  const env = bundle.dsseEnvelope;
  const payload = Buffer.from(env.payload, 'base64');
  const body = {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: createHash('sha256').update(JSON.stringify(env)).digest('hex') },
      payloadHash: { algorithm: 'sha256', value: createHash('sha256').update(payload).digest('hex') },
      signatures: [{ signature: env.signatures[0].sig, verifier: b64(key.publicKeyPem) }],
    },
  };
  bundle.verificationMaterial.tlogEntries = [entry(log, body, o)];
  // v0.1: an inclusion promise (SET) alone proves inclusion; v0.2+ would require a proof.
  bundle.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=0.1';
  return bundle;
}
