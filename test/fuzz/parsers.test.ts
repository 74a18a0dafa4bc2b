// Fuzz: image references, registry answers (WWW-Authenticate, error bodies, Link headers, token
// responses) and keys (PEM, cosign encrypted keys, public keys). See test/fuzz/README.md.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SealError } from '../../src/errors.ts';
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { keyAlgorithm } from '../../src/crypto/key-policy.ts';
import { decodeBase64Strict, decodePemBlocks } from '../../src/crypto/pem.ts';
import { signatureShapeProblem } from '../../src/crypto/signature-shape.ts';
import { KeyVerifier } from '../../src/crypto/signer.ts';
import { parseEncryptedKey } from '../../src/crypto/encrypted-key.ts';
import { parsePrivateKey, parsePublicKey } from '../../src/crypto/keys.ts';
import { parseReference } from '../../src/oci/reference.ts';
import { parseChallenges } from '../../src/oci/registry/challenge.ts';
import { errorFor, parseErrorBody } from '../../src/oci/registry/errors.ts';
import { nextLink } from '../../src/oci/registry/store.ts';
import { fetchToken } from '../../src/oci/registry/token.ts';
import { fakeTransport } from '../unit/oci/registry/fake.ts';
import { fuzz, mutateBytes, mutateDocument, mutateString, preview, report, type Rng } from './fuzz.ts';
import { FIXTURES, literalsOf, orDefault, texts } from './seeds.ts';

const pick = <T>(rng: Rng, xs: readonly T[]): T => rng.pick(xs);

describe('fuzz: image references', () => {
  const seeds = orDefault(
    literalsOf('test/unit/oci/reference.test.ts', (s) => s.length > 0 && s.length < 300 && !s.includes(' ')),
    ['alpine', 'localhost:5000/app:latest', 'oci:dir:tag'],
  );
  it('parseReference returns or throws a one-line usage SealError', async () => {
    const failures = await fuzz('parseReference', {
      iterations: 4000,
      generate: (rng) => mutateString(rng, pick(rng, seeds), seeds),
      run: (s) => parseReference(s),
    });
    assert.ok(failures.length === 0, report('parseReference', failures));
  });
  it('only usage errors', () => {
    for (const s of ['a@', '@', 'oci:', 'oci:@sha256:', '[::1', 'a:b:c', 'A/B', 'x'.repeat(300)]) {
      assert.throws(
        () => parseReference(s),
        (e) => e instanceof SealError && e.kind === 'usage',
      );
    }
  });
});

describe('fuzz: registry answers', () => {
  const challenges = orDefault(
    literalsOf('test/unit/oci/registry/challenge.test.ts', (s) => /^(bearer|basic|negotiate|newauth)\b/i.test(s)),
    ['Bearer realm="https://auth/token",service="reg",scope="repository:a:pull"'],
  );
  it('parseChallenges never throws and returns challenges with string fields', async () => {
    const failures = await fuzz('parseChallenges', {
      iterations: 3000,
      generate: (rng) => mutateString(rng, pick(rng, challenges), challenges),
      run: (h) => parseChallenges(h),
      checkResult: (r) => {
        if (!Array.isArray(r)) return 'not an array';
        for (const c of r as { scheme: unknown; params: Record<string, unknown> }[]) {
          if (typeof c.scheme !== 'string' || !c.scheme) return `bad scheme ${preview(c)}`;
          if (Object.getPrototypeOf(c.params) !== Object.prototype && Object.getPrototypeOf(c.params) !== null) return 'params prototype changed';
          if (Object.values(c.params).some((v) => typeof v !== 'string')) return `non-string param ${preview(c)}`;
        }
        return undefined;
      },
    });
    assert.ok(failures.length === 0, report('parseChallenges', failures));
  });

  const bodies = [
    '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}',
    '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type":"repository","Name":"a","Action":"pull"}]}]}',
    '{"errors":[{"code":"DENIED"},{"code":"TOOMANYREQUESTS","message":"slow down"}]}',
    '<html><body>502 Bad Gateway</body></html>',
    'plain text error\nsecond line',
  ];
  it('parseErrorBody never throws; errorFor makes one clean line of any body', async () => {
    const ctx = { action: 'reading manifest latest', name: 'r.example/app', credentialsUsed: false };
    const failures = await fuzz('errorBody', {
      iterations: 2000,
      generate: (rng) => ({ text: mutateDocument(rng, pick(rng, bodies), bodies), status: pick(rng, [400, 401, 403, 404, 405, 412, 429, 500, 503]) }),
      run: ({ text, status }) => {
        const errors = parseErrorBody(text);
        if (!Array.isArray(errors)) throw new Error('not an array');
        throw errorFor(status, 'Status', errors, text, ctx);
      },
    });
    assert.ok(failures.length === 0, report('errorBody', failures));
  });

  const links = [
    '</v2/a/tags/list?n=10&last=b>; rel="next"',
    '<https://r.example/v2/a/referrers/sha256:abc?next=1>; rel=next',
    '</v2/_catalog?last=x>; rel="prev next", <https://other/>; rel="help"',
  ];
  it('nextLink never throws and is fast on any Link header', async () => {
    const failures = await fuzz('nextLink', {
      iterations: 3000,
      generate: (rng) => mutateString(rng, pick(rng, links), links),
      run: (h) => nextLink(h),
      checkResult: (r) => (r === undefined || typeof r === 'string' ? undefined : `returned ${preview(r)}`),
    });
    assert.ok(failures.length === 0, report('nextLink', failures));
  });

  const tokens = [
    '{"token":"abc","expires_in":300,"issued_at":"2024-01-01T00:00:00Z"}',
    '{"access_token":"xyz","expires_in":60,"refresh_token":"r"}',
    '{"token":"t"}',
  ];
  it('fetchToken: any answer gives a token with a string value or a one-line SealError', async () => {
    const failures = await fuzz('tokenResponse', {
      iterations: 1000,
      generate: (rng) => ({ body: mutateDocument(rng, pick(rng, tokens), tokens), status: rng.bool(0.8) ? 200 : pick(rng, [400, 401, 403, 500]) }),
      run: async ({ body, status }) => {
        const t = fakeTransport(() => ({ status, body }));
        return fetchToken(t, { realm: 'https://auth.test/token', service: 'svc', scopes: ['repository:a:pull'], registry: 'r.test' }, () => 0);
      },
      checkResult: (r) => {
        const tok = r as { token: unknown; expiresAt: unknown };
        if (typeof tok.token !== 'string' || !tok.token) return `token is ${preview(tok.token)}`;
        if (typeof tok.expiresAt !== 'number' || !Number.isFinite(tok.expiresAt)) return `expiresAt is ${preview(tok.expiresAt)}`;
        return undefined;
      },
    });
    assert.ok(failures.length === 0, report('tokenResponse', failures));
  });
});

describe('fuzz: keys', () => {
  const keyFiles = orDefault(texts(`${FIXTURES}cosign/keys`, /\.(pem|pub|key)$/), [
    '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n',
  ]);
  const keyBytes = keyFiles.map((t) => Buffer.from(t));
  const gen = (rng: Rng) => mutateBytes(rng, pick(rng, keyBytes), keyBytes);
  const noPassword = () => Promise.reject(new SealError('input', 'no password in the fuzz run'));

  it('decodePemBlocks returns blocks or a one-line SealError', async () => {
    const failures = await fuzz('decodePemBlocks', {
      iterations: 2500,
      generate: gen,
      run: (b) => decodePemBlocks(Buffer.from(b).toString('latin1'), 'key.pem'),
    });
    assert.ok(failures.length === 0, report('decodePemBlocks', failures));
  });
  it('parsePublicKey: a key or a one-line SealError', async () => {
    const failures = await fuzz('parsePublicKey', { iterations: 2000, generate: gen, run: (b) => parsePublicKey(b, 'key.pub') });
    assert.ok(failures.length === 0, report('parsePublicKey', failures));
  });
  it('parsePrivateKey: a key or a one-line SealError (never reaching scrypt)', async () => {
    const failures = await fuzz('parsePrivateKey', { iterations: 2000, generate: gen, run: (b) => parsePrivateKey(b, 'cosign.key', noPassword) });
    assert.ok(failures.length === 0, report('parsePrivateKey', failures));
  });

  // verify-blob's path for a signature: base64 text or raw DER, its shape, then the verifier.
  it('signatures: base64/DER of every key type, shape check and verify never throw', async () => {
    const data = Buffer.from('fuzz me\n');
    const keys = (['p256', 'p384', 'rsa', 'ed25519'] as const).map((kind) => {
      const { privateKey, publicKey } =
        kind === 'rsa'
          ? generateKeyPairSync('rsa', { modulusLength: 2048 })
          : kind === 'ed25519'
            ? generateKeyPairSync('ed25519')
            : generateKeyPairSync('ec', { namedCurve: kind === 'p256' ? 'P-256' : 'P-384' });
      const verifier = new KeyVerifier(publicKey, keyAlgorithm(publicKey, kind));
      const sig = new Uint8Array(cryptoSign(kind === 'ed25519' ? null : 'sha256', data, privateKey));
      return { verifier, sig };
    });
    const failures = await fuzz('signatures', {
      iterations: 1500,
      generate: (rng) => {
        const k = pick(rng, keys);
        const sigs = keys.map((x) => x.sig);
        const asText = rng.bool(0.4);
        const bytes = asText ? Buffer.from(mutateString(rng, Buffer.from(k.sig).toString('base64'))) : mutateBytes(rng, k.sig, sigs);
        return { k: keys.indexOf(k), bytes, asText };
      },
      run: ({ k, bytes, asText }) => {
        const { verifier } = keys[k]!;
        const sig = asText ? decodeBase64Strict(Buffer.from(bytes).toString('latin1').replace(/\s+/g, '')) : bytes;
        if (!sig) return undefined;
        const problem = signatureShapeProblem(verifier.algorithm, sig, verifier.rsaModulusBytes);
        if (problem !== undefined && (typeof problem !== 'string' || /undefined|\n/.test(problem))) throw new Error(`bad problem text ${problem}`);
        if (typeof verifier.verify(data, sig) !== 'boolean') throw new Error('verify did not return a boolean');
        return undefined;
      },
    });
    assert.ok(failures.length === 0, report('signatures', failures));
  });

  // The JSON inside cosign's encrypted PEM, mutated structurally and re-armoured.
  const encrypted = keyFiles.filter((t) => /ENCRYPTED (SIGSTORE|COSIGN) PRIVATE KEY/.test(t));
  const inner = encrypted.map((t) => Buffer.from(decodePemBlocks(t)[0]!.der).toString('utf8'));
  it('parseEncryptedKey: any JSON inside the armour gives a key or a one-line SealError', async (t) => {
    if (!inner.length) return t.skip('no cosign encrypted keys among the fixtures');
    const failures = await fuzz('parseEncryptedKey', {
      iterations: 1000,
      generate: (rng) => {
        const json = mutateDocument(rng, pick(rng, inner), inner);
        const label = rng.bool(0.9) ? 'ENCRYPTED SIGSTORE PRIVATE KEY' : 'ENCRYPTED COSIGN PRIVATE KEY';
        const b64 = Buffer.from(json)
          .toString('base64')
          .replace(/(.{64})/g, '$1\n');
        return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
      },
      run: (pem) => parseEncryptedKey(pem, 'cosign.key'),
    });
    assert.ok(failures.length === 0, report('parseEncryptedKey', failures));
  });
});
