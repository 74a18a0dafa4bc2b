// verifyBundle does not load the trusted root for a key-signed bundle with no log entry and no
// timestamp (src/sigstore/verify-bundle.ts: rootUnused). Differential: every bundle here, valid
// or tampered, gets the same outcome (pass, or the same error kind, code and message) with no
// root named (the shortcut) as with a full production root named (the root loaded and handed to
// @sigstore/verify), and with the key as a KeyObject instead of PEM, for each key type, both
// content kinds and every bundle version. The node:crypto path for key-signed message bundles
// (src/sigstore/key-bundle-verify.ts) is run on every case too: it may say yes only where
// verifyBundle does, with the same result. The cosign key bundles of the clients corpus
// (test/fixtures/clients) are in the set.
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { SealError } from '../../../src/errors.ts';
import { verifyKeyOnlyMessageBundle } from '../../../src/sigstore/key-bundle-verify.ts';
import { verifyBundle, type BundleArtifact } from '../../../src/sigstore/verify-bundle.ts';
import { dsseBundle, messageBundle, sha256Hex, testKey, type TestKey } from './key-bundles.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const ROOT = `${FIXTURES}cosign/trust/trusted_root_pgi.json`;

type Outcome = { ok: true; kind: string; warnings: string[] } | { ok: false; kind: string; code: string | undefined; message: string };

async function outcome(
  bundle: unknown,
  artifact: BundleArtifact,
  publicKeyPem: string,
  trustedRootPath?: string,
  asKeyObject = false,
  ignoreTlog = false,
): Promise<Outcome> {
  try {
    const key = asKeyObject ? { publicKey: createPublicKey(publicKeyPem) } : { publicKeyPem };
    const r = await verifyBundle(structuredClone(bundle), artifact, {
      ...key,
      ...(trustedRootPath ? { trustedRootPath } : {}),
      ...(ignoreTlog ? { ignoreTlog } : {}),
    });
    // The root's own warnings (an embedded snapshot) are the one intended difference: filtered.
    return { ok: true, kind: r.kind, warnings: r.warnings.filter((w) => !/trusted root/.test(w)) };
  } catch (err) {
    assert.ok(err instanceof SealError, `not a SealError: ${String(err)}`);
    return { ok: false, kind: err.kind, code: err.code, message: err.message };
  }
}

type Mutation = [name: string, change: (b: any) => void];

const mutations: Mutation[] = [
  ['as made', () => {}],
  ['v0.1 media type', (b) => (b.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=0.1')],
  ['v0.2 media type', (b) => (b.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=0.2')],
  ['v0.3 legacy media type', (b) => (b.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=0.3')],
  ['unknown media type', (b) => (b.mediaType = 'application/vnd.dev.sigstore.bundle.v0.9+json')],
  ['no media type', (b) => delete b.mediaType],
  ['explicit empty tlogEntries', (b) => (b.verificationMaterial.tlogEntries = [])],
  ['tlogEntries null', (b) => (b.verificationMaterial.tlogEntries = null)],
  ['empty timestamp data', (b) => (b.verificationMaterial.timestampVerificationData = { rfc3161Timestamps: [] })],
  ['no key hint', (b) => delete b.verificationMaterial.publicKey.hint],
  ['another key hint', (b) => (b.verificationMaterial.publicKey.hint = 'someone-else')],
  [
    'a certificate instead of the key',
    (b) => {
      delete b.verificationMaterial.publicKey;
      b.verificationMaterial.certificate = { rawBytes: 'MIIB' };
    },
  ],
  ['no verification material content', (b) => delete b.verificationMaterial.publicKey],
  [
    'signature bit flipped',
    (b) => {
      const c = b.messageSignature ?? b.dsseEnvelope.signatures[0];
      const field = b.messageSignature ? 'signature' : 'sig';
      const bytes = Buffer.from(c[field], 'base64');
      bytes[bytes.length - 1] ^= 1;
      c[field] = bytes.toString('base64');
    },
  ],
  ['empty signature', (b) => (b.messageSignature ? (b.messageSignature.signature = '') : (b.dsseEnvelope.signatures[0].sig = ''))],
  ['signature a number', (b) => (b.messageSignature ? (b.messageSignature.signature = 7) : (b.dsseEnvelope.signatures[0].sig = 7))],
  ['signature not base64', (b) => (b.messageSignature ? (b.messageSignature.signature = '!!!') : (b.dsseEnvelope.signatures[0].sig = '!!!'))],
  [
    'message digest changed',
    (b) => {
      if (b.messageSignature) b.messageSignature.messageDigest.digest = Buffer.alloc(32, 1).toString('base64');
      else b.dsseEnvelope.payloadType = 'application/vnd.other+json';
    },
  ],
  ['no message digest / no payload', (b) => (b.messageSignature ? delete b.messageSignature.messageDigest : (b.dsseEnvelope.payload = ''))],
  ['digest algorithm SHA2_384', (b) => b.messageSignature && (b.messageSignature.messageDigest.algorithm = 'SHA2_384')],
  [
    'two DSSE signatures / two contents',
    (b) => {
      if (b.dsseEnvelope) b.dsseEnvelope.signatures.push(b.dsseEnvelope.signatures[0]);
      else b.dsseEnvelope = { payload: 'e30=', payloadType: 'application/vnd.in-toto+json', signatures: [] };
    },
  ],
  ['payload changed', (b) => b.dsseEnvelope && (b.dsseEnvelope.payload = Buffer.from('{"_type":"x"}').toString('base64'))],
];

const kinds = ['p256', 'p384', 'rsa', 'ed25519'] as const;
const fastVerdicts = { yes: 0, deferred: 0 };
after(() => {
  // Both outcomes occur: the fast path is exercised, and it defers on the tampered bundles.
  assert.ok(fastVerdicts.yes >= 20 && fastVerdicts.deferred >= 100, JSON.stringify(fastVerdicts));
});
const artifact = Buffer.from('an artefact\n');

for (const kind of kinds) {
  describe(`a ${kind} key bundle: the same outcome with and without the trusted root`, () => {
    const key: TestKey = testKey(kind);
    const other: TestKey = testKey(kind);
    const made = {
      message: messageBundle(key, artifact),
      dsse: dsseBundle(key, [sha256Hex(artifact)]),
    };
    for (const [content, bundle] of Object.entries(made)) {
      for (const [name, change] of mutations) {
        it(`${content}, ${name}`, async () => {
          const b = structuredClone(bundle) as Record<string, unknown>;
          change(b);
          for (const [what, art, pem] of [
            ['bytes', { bytes: artifact }, key.publicKeyPem],
            ['digest', { digest: { algorithm: 'sha256', hex: sha256Hex(artifact) } }, key.publicKeyPem],
            ['other bytes', { bytes: Buffer.from('other\n') }, key.publicKeyPem],
            ['another key', { bytes: artifact }, other.publicKeyPem],
          ] as const) {
            if (what === 'digest' && kind === 'ed25519' && content === 'message') continue; // refused either way (usage), tested elsewhere
            const without = await outcome(b, art as BundleArtifact, pem);
            const withRoot = await outcome(b, art as BundleArtifact, pem, ROOT);
            assert.deepEqual(without, withRoot, `${what}: ${JSON.stringify(without)} vs ${JSON.stringify(withRoot)}`);
            // The key given as a KeyObject (what verify-blob passes) instead of PEM: the same.
            assert.deepEqual(await outcome(b, art as BundleArtifact, pem, undefined, true), without, `${what}, KeyObject`);
            // The node:crypto path (key-bundle-verify.ts) says yes only where verifyBundle does,
            // with the same result; it is used for the bundles sign-blob writes.
            for (const ignoreTlog of [false, true]) {
              const fast = await verifyKeyOnlyMessageBundle(structuredClone(b), art as { bytes: Uint8Array }, createPublicKey(pem), { ignoreTlog });
              const full = ignoreTlog ? await outcome(b, art as BundleArtifact, pem, undefined, true, true) : without;
              if (fast) {
                assert.ok(full.ok, `${what}: the fast path verified what verifyBundle refuses: ${JSON.stringify(full)}`);
                assert.deepEqual({ ok: true, kind: fast.kind, warnings: fast.warnings }, full);
              } else if (content === 'message' && name === 'as made' && (what === 'bytes' || (what === 'digest' && kind !== 'ed25519'))) {
                assert.fail(`${what}: the fast path was not used for a plain key bundle`);
              }
              fastVerdicts[fast ? 'yes' : 'deferred']++;
            }
          }
        });
      }
    }
  });
}

describe('the cosign key bundles of the clients corpus', () => {
  const key = readFileSync(`${FIXTURES}cosign/keys/public/verify-blob-attestation-test.pub`, 'utf8');
  const payload = readFileSync(`${FIXTURES}cosign/dsse/blob-some-payload.txt`);
  for (const file of ['blob-slsa-provenance.pubkey.sigstore.json', 'blob-slsa-provenance.badsig.sigstore.json']) {
    it(file, async () => {
      const b = JSON.parse(readFileSync(`${FIXTURES}cosign/bundles/${file}`, 'utf8'));
      const art = { digest: { algorithm: 'sha256', hex: sha256Hex(payload) } } as const;
      const without = await outcome(b, art, key);
      assert.deepEqual(without, await outcome(b, art, key, ROOT));
      assert.equal(without.ok, file.includes('pubkey'));
    });
  }
});
