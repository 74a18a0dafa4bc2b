// Keyless signing in cosign v2's legacy storage (`.sig`/`.att` layers whose annotations carry the
// Fulcio certificate, the Rekor inclusion promise and the RFC 3161 timestamp), on an OCI layout
// and on a real registry, verified offline by identity with the local stack's trusted_root.json;
// and keyless attest-blob / verify-blob-attestation.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeImageLayout, pushWithSkopeo, registryInstalled, startRegistry, type RunningRegistry } from '../harness/index.ts';
import { startSigstoreStack, type SigstoreStack } from '../harness/sigstore-stack.ts';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';
import { noStack } from '../helpers/stderr.ts';

const EMAIL = 'alice@example.com';
const SIG = 'dev.cosignproject.cosign/signature';
const CERT = 'dev.sigstore.cosign/certificate';
const CHAIN = 'dev.sigstore.cosign/chain';
const BUNDLE = 'dev.sigstore.cosign/bundle';
const TSA = 'dev.sigstore.cosign/rfc3161timestamp';
const REF_NAME = 'org.opencontainers.image.ref.name';
const FIXTURES = new URL('../fixtures/cosign/oci-annotations/', import.meta.url).pathname;

let stack: SigstoreStack;
let token: string;

const seal = (args: string[], env: Record<string, string | undefined> = {}) =>
  runCli(args, { env: { SIGSTORE_ID_TOKEN: undefined, SEAL_PASSWORD: undefined, ...env }, timeoutMs: 60_000 });
const services = () => ['--fulcio-url', stack.fulcioUrl, '--rekor-url', stack.rekorUrl];
const trust = (identity = EMAIL, issuer = stack.issuer) => [
  '--certificate-identity',
  identity,
  '--certificate-oidc-issuer',
  issuer,
  '--trusted-root',
  stack.trustedRootPath,
];
const noLeak = (r: { stdout: string; stderr: string }) => assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token), 'the identity token was printed');
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

// --- reading and rewriting a `.sig`/`.att` image inside an OCI layout ---------------------------
interface Layer {
  mediaType: string;
  size: number;
  digest: string;
  annotations: Record<string, string>;
}
interface Manifest {
  layers: Layer[];
  [k: string]: unknown;
}
const blob = (dir: string, digest: string) => path.join(dir, 'blobs', ...digest.split(':'));

async function attached(dir: string, digest: string, kind: 'sig' | 'att'): Promise<Manifest> {
  const index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  const tag = `${digest.replace(':', '-')}.${kind}`;
  const entry = index.manifests.find((m) => m.annotations?.[REF_NAME] === tag);
  assert.ok(entry, `no ${tag} in the layout`);
  return JSON.parse(await readFile(blob(dir, entry.digest), 'utf8')) as Manifest;
}

/** Replaces the `.sig`/`.att` manifest with `mutate`'s version (new blobs written as needed). */
async function rewrite(dir: string, digest: string, kind: 'sig' | 'att', mutate: (m: Manifest) => Promise<void> | void): Promise<void> {
  const indexFile = path.join(dir, 'index.json');
  const index = JSON.parse(await readFile(indexFile, 'utf8')) as { manifests: { digest: string; size: number; annotations?: Record<string, string> }[] };
  const entry = index.manifests.find((m) => m.annotations?.[REF_NAME] === `${digest.replace(':', '-')}.${kind}`)!;
  const manifest = JSON.parse(await readFile(blob(dir, entry.digest), 'utf8')) as Manifest;
  await mutate(manifest);
  const bytes = Buffer.from(JSON.stringify(manifest));
  const newDigest = `sha256:${sha256(bytes)}`;
  await writeFile(blob(dir, newDigest), bytes);
  entry.digest = newDigest;
  entry.size = bytes.length;
  await writeFile(indexFile, JSON.stringify(index));
}

async function putBlob(dir: string, bytes: Uint8Array): Promise<string> {
  const digest = `sha256:${sha256(bytes)}`;
  await writeFile(blob(dir, digest), bytes);
  return digest;
}

before(async () => {
  stack = await startSigstoreStack();
  token = stack.mintToken(EMAIL);
});
after(async () => {
  await stack?.stop();
});

describe('seal sign (legacy format, the default), keyless, on an OCI layout', () => {
  let dir: string;
  let digest: string;
  let ref: string;
  let layer: Layer;
  const verify = (identity = EMAIL, issuer = stack.issuer, extra: string[] = []) => seal(['verify', ...trust(identity, issuer), ...extra, ref]);

  before(async () => {
    const img = await makeImageLayout(path.join(stack.dir, 'legacy-img'));
    dir = img.dir;
    digest = img.digest;
    ref = `oci:${dir}:latest`;
    const s = await seal(['sign', '--identity-token', token, ...services(), '--timestamp-server-url', stack.tsaUrl, '-a', 'env=prod', ref]);
    assert.equal(s.code, 0, s.stderr);
    noLeak(s);
    const m = await attached(dir, digest, 'sig');
    assert.equal(m.layers.length, 1);
    layer = m.layers[0]!;
  });

  test('the layer carries the annotations cosign v2 writes, with a hashedrekord entry over the payload', async () => {
    assert.equal(layer.mediaType, 'application/vnd.dev.cosign.simplesigning.v1+json');
    assert.deepEqual(Object.keys(layer.annotations).sort(), [BUNDLE, CERT, CHAIN, SIG, TSA].sort());
    assert.match(layer.annotations[SIG]!, /^[A-Za-z0-9+/]+={0,2}$/);
    assert.match(layer.annotations[CERT]!, /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
    assert.equal(layer.annotations[CHAIN], '');
    // Same keys, in the same order, as the real cosign annotation in the fixtures.
    const real = JSON.parse(await readFile(path.join(FIXTURES, 'rekor-bundle-annotation-real.json'), 'utf8'));
    const ours = JSON.parse(layer.annotations[BUNDLE]!);
    assert.deepEqual(Object.keys(ours), Object.keys(real));
    assert.deepEqual(Object.keys(ours.Payload), Object.keys(real.Payload));
    assert.equal(typeof ours.Payload.integratedTime, 'number');
    assert.equal(typeof ours.Payload.logIndex, 'number');
    assert.match(ours.Payload.logID, /^[0-9a-f]{64}$/);
    const body = JSON.parse(Buffer.from(ours.Payload.body, 'base64').toString());
    assert.equal(body.kind, 'hashedrekord');
    assert.equal(body.apiVersion, '0.0.1');
    const payload = await readFile(blob(dir, layer.digest));
    assert.equal(body.spec.data.hash.value, sha256(payload));
    assert.equal(body.spec.signature.content, layer.annotations[SIG]);
    assert.ok(JSON.parse(layer.annotations[TSA]!).SignedRFC3161Timestamp);
    assert.equal(JSON.parse(payload.toString()).critical.image['docker-manifest-digest'], digest);
  });

  test('verify by identity and issuer exits 0 and reports the annotations', async () => {
    const v = await verify(EMAIL, stack.issuer, ['-a', 'env=prod', '-o', 'json']);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(JSON.parse(v.stdout)[0].digest, digest);
  });

  test('another identity exits 12', async () => {
    const v = await verify('mallory@example.com');
    assert.equal(v.code, 12, v.stderr);
  });

  test('another issuer exits 12', async () => {
    const v = await verify(EMAIL, 'https://accounts.google.com');
    assert.equal(v.code, 12, v.stderr);
  });

  test('a second keyless signature is appended, not replacing the first', async () => {
    const bob = stack.mintToken('bob@example.com');
    const s = await seal(['sign', '--identity-token', bob, ...services(), ref]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal((await attached(dir, digest, 'sig')).layers.length, 2);
    assert.equal((await verify(EMAIL)).code, 0);
    assert.equal((await verify('bob@example.com')).code, 0);
  });
});

describe('tampering with a legacy keyless signature', () => {
  const fresh = async (name: string) => {
    const img = await makeImageLayout(path.join(stack.dir, name));
    const ref = `oci:${img.dir}:latest`;
    const s = await seal(['sign', '--identity-token', token, ...services(), ref]);
    assert.equal(s.code, 0, s.stderr);
    return { dir: img.dir, digest: img.digest, ref, verify: () => seal(['verify', ...trust(), ref]) };
  };

  test('a changed payload (another image digest) exits 12', async () => {
    const t = await fresh('tamper-payload');
    const other = await makeImageLayout(path.join(stack.dir, 'tamper-other'));
    await rewrite(t.dir, t.digest, 'sig', async (m) => {
      const l = m.layers[0]!;
      const payload = JSON.parse(await readFile(blob(t.dir, l.digest), 'utf8'));
      payload.critical.image['docker-manifest-digest'] = other.digest;
      const bytes = Buffer.from(JSON.stringify(payload));
      l.digest = await putBlob(t.dir, bytes);
      l.size = bytes.length;
    });
    const v = await t.verify();
    assert.equal(v.code, 12, v.stderr);
    assert.match(v.stderr, /digest mismatch/);
    noStack(v.stderr);
  });

  test('a changed signature annotation exits 12', async () => {
    const t = await fresh('tamper-sig');
    await rewrite(t.dir, t.digest, 'sig', (m) => {
      const a = m.layers[0]!.annotations;
      const sig = Buffer.from(a[SIG]!, 'base64');
      sig[sig.length - 3]! ^= 1;
      a[SIG] = sig.toString('base64');
    });
    const v = await t.verify();
    assert.equal(v.code, 12, v.stderr);
    assert.match(v.stderr, /signature mismatch/);
  });

  test('a changed Rekor bundle annotation (integratedTime) exits 12', async () => {
    const t = await fresh('tamper-bundle');
    await rewrite(t.dir, t.digest, 'sig', (m) => {
      const a = m.layers[0]!.annotations;
      const b = JSON.parse(a[BUNDLE]!);
      b.Payload.integratedTime += 1;
      a[BUNDLE] = JSON.stringify(b);
    });
    const v = await t.verify();
    assert.equal(v.code, 12, v.stderr);
    assert.match(v.stderr, /inclusion promise could not be verified/);
  });

  test('the certificate of another signing exits 12', async () => {
    const t = await fresh('tamper-cert');
    const mallory = await fresh('tamper-cert-mallory');
    const malloryCert = (await attached(mallory.dir, mallory.digest, 'sig')).layers[0]!.annotations[CERT]!;
    await rewrite(t.dir, t.digest, 'sig', (m) => {
      m.layers[0]!.annotations[CERT] = malloryCert;
    });
    const v = await t.verify();
    assert.equal(v.code, 12, v.stderr);
    // Which check trips first depends on timing: mallory's certificate may already be invalid at
    // the entry's integrated time (a certificate error), or valid then, and then the signature
    // does not verify with its key. Both are the swap being caught.
    assert.match(v.stderr, /certificate|signature verification failed/);
  });
});

describe('seal attest (legacy format), keyless, on an OCI layout', () => {
  let dir: string;
  let digest: string;
  let ref: string;
  const scan = new URL('../fixtures/grype/alpine-one-high.json', import.meta.url).pathname;

  before(async () => {
    const img = await makeImageLayout(path.join(stack.dir, 'legacy-att'));
    ({ dir, digest } = img);
    ref = `oci:${dir}:latest`;
    const a = await seal([
      'attest',
      '--identity-token',
      token,
      ...services(),
      '--timestamp-server-url',
      stack.tsaUrl,
      '--type',
      'vuln',
      '--predicate',
      scan,
      ref,
    ]);
    assert.equal(a.code, 0, a.stderr);
    noLeak(a);
  });

  test('the .att layer is the logged envelope, with a dsse entry and cosign annotations', async () => {
    const [layer] = (await attached(dir, digest, 'att')).layers;
    assert.equal(layer!.mediaType, 'application/vnd.dsse.envelope.v1+json');
    assert.deepEqual(Object.keys(layer!.annotations).sort(), [BUNDLE, CERT, CHAIN, SIG, TSA, 'predicateType'].sort());
    assert.equal(layer!.annotations[SIG], '');
    assert.equal(layer!.annotations.predicateType, 'https://cosign.sigstore.dev/attestation/vuln/v1');
    const envelope = await readFile(blob(dir, layer!.digest));
    // cosign v3's envelope shape (keys in this order, keyid omitted when empty).
    const v3 = JSON.parse(await readFile(path.join(FIXTURES, 'att-layer-from-bundle.v3shape.json'), 'utf8'));
    assert.deepEqual(Object.keys(JSON.parse(envelope.toString())), Object.keys(v3));
    const body = JSON.parse(Buffer.from(JSON.parse(layer!.annotations[BUNDLE]!).Payload.body, 'base64').toString());
    assert.equal(body.kind, 'dsse');
    assert.equal(body.spec.envelopeHash.value, sha256(envelope));
  });

  test('verify-attestation by identity passes the gate; another identity exits 12', async () => {
    const ok = await seal(['verify-attestation', ...trust(), '--type', 'vuln', '--max-severity', 'high', ref]);
    assert.equal(ok.code, 0, ok.stderr);
    const envelope = JSON.parse(ok.stdout.trim().split('\n')[0]!) as { payload: string };
    assert.equal(JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')).predicateType, 'https://cosign.sigstore.dev/attestation/vuln/v1');
    const other = await seal(['verify-attestation', ...trust('mallory@example.com'), ref]);
    assert.equal(other.code, 12, other.stderr);
  });

  test('an envelope swapped for another (re-signed) one exits 12', async () => {
    await rewrite(dir, digest, 'att', async (m) => {
      const l = m.layers[0]!;
      const env = JSON.parse(await readFile(blob(dir, l.digest), 'utf8'));
      env.signatures[0].keyid = 'x'; // same signature, other bytes than Rekor logged
      const bytes = Buffer.from(JSON.stringify(env));
      l.digest = await putBlob(dir, bytes);
      l.size = bytes.length;
    });
    const v = await seal(['verify-attestation', ...trust(), ref]);
    assert.equal(v.code, 12, v.stderr);
    assert.match(v.stderr, /transparency log entry is for another envelope/);
    noStack(v.stderr);
  });
});

describe('legacy keyless on a registry', { skip: !registryInstalled() && 'docker-registry is not installed' }, () => {
  let reg: RunningRegistry;
  before(async () => {
    reg = await startRegistry('plain');
  });
  after(async () => {
    await reg?.stop();
  });

  test('sign, verify by identity, wrong identity, attest, download signature in cosign shape', async () => {
    const img = await makeImageLayout(path.join(stack.dir, 'reg-img'));
    const digest = await pushWithSkopeo(img.dir, 'latest', reg, 'app:v1');
    const ref = `${reg.host}/app:v1`;
    const s = await seal(['sign', '--identity-token', token, ...services(), ref]);
    assert.equal(s.code, 0, s.stderr);
    const v = await seal(['verify', ...trust(), '-o', 'json', ref]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(JSON.parse(v.stdout)[0].digest, digest);
    assert.equal((await seal(['verify', ...trust('mallory@example.com'), ref])).code, 12);
    const d = await seal(['download', 'signature', ref]);
    assert.equal(d.code, 0, d.stderr);
    const sig = JSON.parse(d.stdout.trim());
    assert.match(sig.Cert, /BEGIN CERTIFICATE/);
    assert.equal(JSON.parse(Buffer.from(sig.Bundle.Payload.body, 'base64').toString()).kind, 'hashedrekord');
    const pred = path.join(stack.dir, 'pred.json');
    await writeFile(pred, '{"ok":true}');
    const a = await seal(['attest', '--identity-token', token, ...services(), '--predicate', pred, ref]);
    assert.equal(a.code, 0, a.stderr);
    const va = await seal(['verify-attestation', ...trust(), ref]);
    assert.equal(va.code, 0, va.stderr);
  });
});

describe('seal attest-blob keyless, verify-blob-attestation by identity', () => {
  let file: string;
  let bundle: string;
  const verify = (identity = EMAIL, issuer = stack.issuer, extra: string[] = [file]) =>
    seal(['verify-blob-attestation', ...trust(identity, issuer), '--bundle', bundle, '--type', 'vuln', ...extra]);

  before(async () => {
    file = path.join(stack.dir, 'release.tar.gz');
    await writeFile(file, 'release\n'.repeat(100));
    bundle = path.join(stack.dir, 'release.att.json');
    const scan = new URL('../fixtures/grype/alpine-one-high.json', import.meta.url).pathname;
    const r = await seal(['attest-blob', '--identity-token', token, ...services(), '--type', 'vuln', '--predicate', scan, '--bundle', bundle, file]);
    assert.equal(r.code, 0, r.stderr);
    noLeak(r);
  });

  test('the bundle has a certificate and a dsse Rekor entry', async () => {
    const b = JSON.parse(await readFile(bundle, 'utf8'));
    assert.equal(b.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.ok(b.verificationMaterial.certificate.rawBytes);
    assert.equal(b.verificationMaterial.tlogEntries[0].kindVersion.kind, 'dsse');
  });

  test('verifies by identity and issuer, printing the statement', async () => {
    const r = await verify();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).subject[0].digest.sha256, sha256(await readFile(file)));
  });

  test('another identity or issuer exits 3', async () => {
    assert.equal((await verify('mallory@example.com')).code, 3);
    assert.equal((await verify(EMAIL, 'https://accounts.google.com')).code, 3);
  });

  test('another file exits 3; --check-claims=false still checks the signer', async () => {
    const other = path.join(stack.dir, 'other.bin');
    await writeFile(other, 'other');
    assert.equal((await verify(EMAIL, stack.issuer, [other])).code, 3);
    assert.equal((await verify(EMAIL, stack.issuer, ['--check-claims=false', other])).code, 0);
    assert.equal((await verify('mallory@example.com', stack.issuer, ['--check-claims=false', other])).code, 3);
  });

  test('a tampered statement exits 3', async () => {
    const b = JSON.parse(await readFile(bundle, 'utf8'));
    const st = JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString());
    st.predicate.scanner.result.matches = [];
    b.dsseEnvelope.payload = Buffer.from(JSON.stringify(st)).toString('base64');
    const tampered = path.join(stack.dir, 'tampered.att.json');
    await writeFile(tampered, JSON.stringify(b));
    const r = await seal(['verify-blob-attestation', ...trust(), '--bundle', tampered, file]);
    assert.equal(r.code, 3, r.stderr);
    noStack(r.stderr);
  });

  test('a plain DSSE envelope cannot be verified keylessly: one line, exit 3', async () => {
    const b = JSON.parse(await readFile(bundle, 'utf8'));
    const env = path.join(stack.dir, 'plain.dsse.json');
    await writeFile(env, JSON.stringify(b.dsseEnvelope));
    const r = await seal(['verify-blob-attestation', ...trust(), '--signature', env, file]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /must be a Sigstore bundle/);
  });

  test('no key and no identity: usage error', async () => {
    const r = await seal(['verify-blob-attestation', '--bundle', bundle, file]);
    assert.equal(r.code, 2, r.stderr);
  });
});

describe('keyless legacy errors', () => {
  test('sign with no key and no token: exit 2, one clear line', async () => {
    const img = await makeImageLayout(path.join(stack.dir, 'err-img'));
    const r = await seal(['sign', `oci:${img.dir}:latest`]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /sign needs --key, or an identity token/);
    noStack(r.stderr);
  });

  test('an invalid token: exit 1, one clear line, nothing pushed', async () => {
    const img = await makeImageLayout(path.join(stack.dir, 'err-img2'));
    const garbage = 'garbage.token.value-Zq9x';
    const pred = path.join(stack.dir, 'err-pred.json');
    await writeFile(pred, '{"ok":true}');
    for (const cmd of [['sign'], ['attest', '--predicate', pred]]) {
      const r = await seal([...cmd, '--identity-token', garbage, ...services(), `oci:${img.dir}:latest`]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /identity token is not a valid JWT/);
      assert.ok(!r.stderr.includes('Zq9x'));
      noStack(r.stderr);
    }
    const index = JSON.parse(await readFile(path.join(img.dir, 'index.json'), 'utf8'));
    assert.equal(index.manifests.length, 1, 'something was pushed');
  });

  test('attest-blob with a token that is neither JWT nor file: exit 1', async () => {
    const r = await seal([
      'attest-blob',
      '--identity-token',
      'nope Zq9x',
      ...services(),
      '--predicate',
      '-',
      '--bundle',
      path.join(stack.dir, 'x.json'),
      path.join(stack.dir, 'release.tar.gz'),
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /neither a JWT nor a readable file/);
    assert.ok(!r.stderr.includes('Zq9x'));
  });
});
