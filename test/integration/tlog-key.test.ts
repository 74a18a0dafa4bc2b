// Key signing with --tlog-upload (Rekor v1: hashedrekord for sign/sign-blob, dsse for attest) in
// both storage formats, against the local Sigstore stack's Rekor; verification with --key checks
// the entry offline against the stack's trusted_root.json, and --require-tlog demands one.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeImageLayout, registryInstalled, startRegistry, pushWithSkopeo, type RunningRegistry } from '../harness/index.ts';
import { startSigstoreStack, type SigstoreStack } from '../harness/sigstore-stack.ts';
import { makeOpensslKeyPair } from '../helpers/keys.ts';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';
import { noStack } from '../helpers/stderr.ts';

const SIG = 'dev.cosignproject.cosign/signature';
const CERT = 'dev.sigstore.cosign/certificate';
const BUNDLE = 'dev.sigstore.cosign/bundle';
const PREDICATE_TYPE = 'predicateType';
const REF_NAME = 'org.opencontainers.image.ref.name';
const ENTRIES = '/api/v1/log/entries';

let stack: SigstoreStack;
let key: string;
let pub: string;

const seal = (args: string[]) => runCli(args, { env: { SIGSTORE_ID_TOKEN: undefined, SEAL_PASSWORD: undefined }, timeoutMs: 60_000 });
const upload = () => ['--tlog-upload', '--rekor-url', stack.rekorUrl];
const trusted = () => ['--trusted-root', stack.trustedRootPath];
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const entries = () => stack.requests[ENTRIES] ?? 0;

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
interface Index {
  manifests: { digest: string; size: number; annotations?: Record<string, string> }[];
}
const blob = (dir: string, digest: string) => path.join(dir, 'blobs', ...digest.split(':'));
const attachedTag = (digest: string, kind: 'sig' | 'att') => `${digest.replace(':', '-')}.${kind}`;

async function attached(dir: string, digest: string, kind: 'sig' | 'att'): Promise<Manifest> {
  const index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as Index;
  const entry = index.manifests.find((m) => m.annotations?.[REF_NAME] === attachedTag(digest, kind));
  assert.ok(entry, `no ${attachedTag(digest, kind)} in the layout`);
  return JSON.parse(await readFile(blob(dir, entry.digest), 'utf8')) as Manifest;
}

async function rewrite(dir: string, digest: string, kind: 'sig' | 'att', mutate: (m: Manifest) => void): Promise<void> {
  const indexFile = path.join(dir, 'index.json');
  const index = JSON.parse(await readFile(indexFile, 'utf8')) as Index;
  const entry = index.manifests.find((m) => m.annotations?.[REF_NAME] === attachedTag(digest, kind))!;
  const manifest = JSON.parse(await readFile(blob(dir, entry.digest), 'utf8')) as Manifest;
  mutate(manifest);
  const bytes = Buffer.from(JSON.stringify(manifest));
  entry.digest = `sha256:${sha256(bytes)}`;
  entry.size = bytes.length;
  await writeFile(blob(dir, entry.digest), bytes);
  await writeFile(indexFile, JSON.stringify(index));
}

/** The referrer bundle (bundle format) stored for `digest` in a layout, via the fallback tag. */
async function referrerBundle(dir: string, digest: string): Promise<any> {
  const index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as Index;
  const fallback = index.manifests.find((m) => m.annotations?.[REF_NAME] === digest.replace(':', '-'));
  assert.ok(fallback, 'no referrers fallback index');
  const refIndex = JSON.parse(await readFile(blob(dir, fallback.digest), 'utf8')) as Index;
  const manifest = JSON.parse(await readFile(blob(dir, refIndex.manifests[0]!.digest), 'utf8')) as Manifest;
  return JSON.parse(await readFile(blob(dir, manifest.layers[0]!.digest), 'utf8'));
}

/** Replaces the referrer bundle with `mutate`'s version: new bundle blob, manifest and fallback index. */
async function rewriteReferrerBundle(dir: string, digest: string, mutate: (bundle: any) => void): Promise<void> {
  const put = async (value: unknown) => {
    const bytes = Buffer.from(JSON.stringify(value));
    const d = `sha256:${sha256(bytes)}`;
    await writeFile(blob(dir, d), bytes);
    return { digest: d, size: bytes.length };
  };
  const indexFile = path.join(dir, 'index.json');
  const index = JSON.parse(await readFile(indexFile, 'utf8')) as Index;
  const fallback = index.manifests.find((m) => m.annotations?.[REF_NAME] === digest.replace(':', '-'))!;
  const refIndex = JSON.parse(await readFile(blob(dir, fallback.digest), 'utf8')) as Index;
  const manifest = JSON.parse(await readFile(blob(dir, refIndex.manifests[0]!.digest), 'utf8')) as Manifest;
  const bundle = JSON.parse(await readFile(blob(dir, manifest.layers[0]!.digest), 'utf8'));
  mutate(bundle);
  Object.assign(manifest.layers[0]!, await put(bundle));
  Object.assign(refIndex.manifests[0]!, await put(manifest));
  Object.assign(fallback, await put(refIndex));
  await writeFile(indexFile, JSON.stringify(index));
}

before(async () => {
  stack = await startSigstoreStack();
  ({ key, pub } = makeOpensslKeyPair(stack.dir, 'key'));
});
after(async () => {
  await stack?.stop();
});

describe('seal sign --key --tlog-upload (legacy format) on an OCI layout', () => {
  let dir: string;
  let digest: string;
  let ref: string;
  let layer: Layer;

  before(async () => {
    const img = await makeImageLayout(path.join(stack.dir, 'legacy'));
    ({ dir, digest } = img);
    ref = `oci:${dir}:latest`;
    const n = entries();
    const s = await seal(['sign', '--key', key, ...upload(), ref]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(entries() - n, 1, 'one Rekor entry per signature');
    layer = (await attached(dir, digest, 'sig')).layers[0]!;
  });

  test('the .sig layer carries the signature and a Rekor bundle over a hashedrekord with the PEM key', async () => {
    assert.deepEqual(Object.keys(layer.annotations).sort(), [BUNDLE, SIG].sort());
    assert.equal(layer.annotations[CERT], undefined);
    const rekor = JSON.parse(layer.annotations[BUNDLE]!);
    assert.deepEqual(Object.keys(rekor), ['SignedEntryTimestamp', 'Payload']);
    const body = JSON.parse(Buffer.from(rekor.Payload.body, 'base64').toString());
    assert.equal(body.kind, 'hashedrekord');
    assert.equal(body.apiVersion, '0.0.1');
    assert.equal(body.spec.signature.content, layer.annotations[SIG]);
    assert.equal(body.spec.data.hash.value, sha256(await readFile(blob(dir, layer.digest))));
    const logged = Buffer.from(body.spec.signature.publicKey.content, 'base64').toString();
    assert.match(logged, /^-----BEGIN PUBLIC KEY-----/);
    assert.equal(logged.trim(), (await readFile(pub, 'utf8')).trim());
  });

  test('verify --key --trusted-root --require-tlog passes and reports the tlog check', async () => {
    const v = await seal(['verify', '--key', pub, ...trusted(), '--require-tlog', '-o', 'json', ref]);
    assert.equal(v.code, 0, v.stderr);
    const sig = JSON.parse(v.stdout)[0].signatures[0];
    assert.deepEqual(sig.checks, { signature: true, tlog: true, digest: true, annotations: true });
    assert.match(v.stderr, /transparency log was verified offline/);
  });

  // An entry that is there is always checked (issue 9 item 1), as cosign does: against the
  // embedded production root this local Rekor is unknown, so the signature fails; only
  // --insecure-ignore-tlog skips the check.
  test('verify --key alone checks the entry against the default root (unknown log: exit 12); --insecure-ignore-tlog skips it', async () => {
    const v = await seal(['verify', '--key', pub, '-o', 'json', ref]);
    assert.equal(v.code, 12, v.stderr);
    assert.equal(JSON.parse(v.stdout)[0].signatures[0].checks.tlog, false);
    noStack(v.stderr);
    const ignored = await seal(['verify', '--key', pub, '--insecure-ignore-tlog', '-o', 'json', ref]);
    assert.equal(ignored.code, 0, ignored.stderr);
    assert.equal(JSON.parse(ignored.stdout)[0].signatures[0].checks.tlog, undefined);
  });

  test('a trusted root that does not know this Rekor fails the signature (exit 12)', async () => {
    const empty = path.join(stack.dir, 'empty-root.json');
    await writeFile(
      empty,
      JSON.stringify({
        mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
        tlogs: [],
        certificateAuthorities: [],
        ctlogs: [],
        timestampAuthorities: [],
      }),
    );
    const v = await seal(['verify', '--key', pub, '--trusted-root', empty, '-o', 'json', ref]);
    assert.equal(v.code, 12, v.stderr);
    assert.equal(JSON.parse(v.stdout)[0].signatures[0].checks.tlog, false);
    noStack(v.stderr);
  });

  test('a tampered SET fails the signature (exit 12), with or without --trusted-root', async () => {
    const img = await makeImageLayout(path.join(stack.dir, 'legacy-set'));
    const r = `oci:${img.dir}:latest`;
    assert.equal((await seal(['sign', '--key', key, ...upload(), r])).code, 0);
    await rewrite(img.dir, img.digest, 'sig', (m) => {
      const a = m.layers[0]!.annotations;
      const b = JSON.parse(a[BUNDLE]!);
      b.Payload.integratedTime += 1;
      a[BUNDLE] = JSON.stringify(b);
    });
    const v = await seal(['verify', '--key', pub, ...trusted(), r]);
    assert.equal(v.code, 12, v.stderr);
    assert.match(v.stderr, /inclusion promise could not be verified/);
    noStack(v.stderr);
    assert.equal((await seal(['verify', '--key', pub, r])).code, 12);
  });

  test('a tampered entry body (another signature logged) fails (exit 12)', async () => {
    const img = await makeImageLayout(path.join(stack.dir, 'legacy-body'));
    const r = `oci:${img.dir}:latest`;
    assert.equal((await seal(['sign', '--key', key, ...upload(), r])).code, 0);
    await rewrite(img.dir, img.digest, 'sig', (m) => {
      const a = m.layers[0]!.annotations;
      const b = JSON.parse(a[BUNDLE]!);
      const body = JSON.parse(Buffer.from(b.Payload.body, 'base64').toString());
      body.spec.data.hash.value = sha256('something else');
      b.Payload.body = Buffer.from(JSON.stringify(body)).toString('base64');
      a[BUNDLE] = JSON.stringify(b);
    });
    const v = await seal(['verify', '--key', pub, ...trusted(), r]);
    assert.equal(v.code, 12, v.stderr);
    noStack(v.stderr);
  });
});

describe('--require-tlog without a log entry', () => {
  for (const format of ['legacy', 'bundle'] as const) {
    test(`${format}: a signature made without --tlog-upload fails with exit 12; without the flag it passes`, async () => {
      const img = await makeImageLayout(path.join(stack.dir, `offline-${format}`));
      const r = `oci:${img.dir}:latest`;
      const n = entries();
      assert.equal((await seal(['sign', '--key', key, '--format', format, r])).code, 0);
      assert.equal(entries(), n, 'offline signing contacted Rekor');
      const v = await seal(['verify', '--key', pub, ...trusted(), '--require-tlog', '-o', 'json', r]);
      assert.equal(v.code, 12, v.stderr);
      assert.match(v.stderr, /no transparency log entry/);
      assert.equal(JSON.parse(v.stdout)[0].signatures[0].checks.tlog ?? false, false);
      noStack(v.stderr);
      assert.equal((await seal(['verify', '--key', pub, ...trusted(), r])).code, 0);
    });
  }
});

describe('seal sign --key --tlog-upload --format bundle on an OCI layout', () => {
  let dir: string;
  let digest: string;
  let ref: string;

  before(async () => {
    const img = await makeImageLayout(path.join(stack.dir, 'bundle'));
    ({ dir, digest } = img);
    ref = `oci:${dir}:latest`;
    const n = entries();
    const s = await seal(['sign', '--key', key, '--format', 'bundle', ...upload(), ref]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(entries() - n, 1, 'one Rekor entry per signature');
  });

  test('the bundle has a public-key hint and a dsse entry with promise and proof', async () => {
    const json = await referrerBundle(dir, digest);
    assert.equal(json.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.ok(json.verificationMaterial.publicKey.hint);
    const [entry] = json.verificationMaterial.tlogEntries;
    assert.deepEqual(entry.kindVersion, { kind: 'dsse', version: '0.0.1' });
    assert.ok(entry.inclusionPromise.signedEntryTimestamp);
    assert.ok(entry.inclusionProof.checkpoint.envelope);
  });

  test('verify --key --trusted-root --require-tlog passes', async () => {
    const v = await seal(['verify', '--key', pub, ...trusted(), '--require-tlog', '-o', 'json', ref]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(JSON.parse(v.stdout)[0].signatures[0].checks.tlog, true);
  });

  test('a tampered SET fails (exit 12)', async () => {
    const img = await makeImageLayout(path.join(stack.dir, 'bundle-set'));
    const r = `oci:${img.dir}:latest`;
    assert.equal((await seal(['sign', '--key', key, '--format', 'bundle', ...upload(), r])).code, 0);
    await rewriteReferrerBundle(img.dir, img.digest, (json) => {
      const e = json.verificationMaterial.tlogEntries[0];
      e.integratedTime = String(Number(e.integratedTime) + 1);
    });
    const v = await seal(['verify', '--key', pub, ...trusted(), '-o', 'json', r]);
    assert.equal(v.code, 12, v.stderr);
    assert.match(JSON.parse(v.stdout)[0].signatures[0].error, /inclusion promise|tlog|SET/i);
    noStack(v.stderr);
  });
});

describe('seal attest --key --tlog-upload', () => {
  for (const format of ['legacy', 'bundle'] as const) {
    test(`${format}: one dsse entry; verify-attestation --trusted-root --require-tlog passes`, async () => {
      const img = await makeImageLayout(path.join(stack.dir, `att-${format}`));
      const r = `oci:${img.dir}:latest`;
      const predicate = path.join(stack.dir, `pred-${format}.json`);
      await writeFile(predicate, JSON.stringify({ hello: 'world' }));
      const n = entries();
      const a = await seal(['attest', '--key', key, '--format', format, ...upload(), '--predicate', predicate, r]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(entries() - n, 1);
      if (format === 'legacy') {
        const l = (await attached(img.dir, img.digest, 'att')).layers[0]!;
        assert.deepEqual(Object.keys(l.annotations).sort(), [BUNDLE, PREDICATE_TYPE, SIG].sort());
        const body = JSON.parse(Buffer.from(JSON.parse(l.annotations[BUNDLE]!).Payload.body, 'base64').toString());
        assert.equal(body.kind, 'dsse');
        assert.equal(body.spec.envelopeHash.value, sha256(await readFile(blob(img.dir, l.digest))));
      }
      const v = await seal(['verify-attestation', '--key', pub, ...trusted(), '--require-tlog', '-o', 'json', r]);
      assert.equal(v.code, 0, v.stderr);
      assert.equal(JSON.parse(v.stdout)[0].attestations[0].tlog, true);
    });
  }

  test('legacy: without --tlog-upload, --require-tlog fails (exit 12)', async () => {
    const img = await makeImageLayout(path.join(stack.dir, 'att-offline'));
    const r = `oci:${img.dir}:latest`;
    const predicate = path.join(stack.dir, 'pred-offline.json');
    await writeFile(predicate, '{}');
    assert.equal((await seal(['attest', '--key', key, '--predicate', predicate, r])).code, 0);
    const v = await seal(['verify-attestation', '--key', pub, ...trusted(), '--require-tlog', r]);
    assert.equal(v.code, 12, v.stderr);
    assert.match(v.stderr, /no transparency log entry/);
  });
});

describe('seal sign-blob --key --tlog-upload --bundle', () => {
  let file: string;
  let bundle: string;

  before(async () => {
    file = path.join(stack.dir, 'release.txt');
    bundle = path.join(stack.dir, 'release.sigstore.json');
    await writeFile(file, 'release contents\n');
    const n = entries();
    const s = await seal(['sign-blob', '--key', key, ...upload(), '--bundle', bundle, file]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(entries() - n, 1);
  });

  test('the bundle holds a hashedrekord entry over the file digest with the PEM key', async () => {
    const json = JSON.parse(await readFile(bundle, 'utf8'));
    const [entry] = json.verificationMaterial.tlogEntries;
    assert.deepEqual(entry.kindVersion, { kind: 'hashedrekord', version: '0.0.1' });
    const body = JSON.parse(Buffer.from(entry.canonicalizedBody, 'base64').toString());
    assert.equal(body.spec.data.hash.value, sha256(await readFile(file)));
    assert.match(Buffer.from(body.spec.signature.publicKey.content, 'base64').toString(), /^-----BEGIN PUBLIC KEY-----/);
  });

  test('verify-blob --key --bundle --trusted-root --require-tlog passes', async () => {
    const v = await seal(['verify-blob', '--key', pub, '--bundle', bundle, ...trusted(), '--require-tlog', file]);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stderr, /Verified OK/);
  });

  test('a tampered SET fails (exit 3)', async () => {
    const json = JSON.parse(await readFile(bundle, 'utf8'));
    const sig = Buffer.from(json.verificationMaterial.tlogEntries[0].inclusionPromise.signedEntryTimestamp, 'base64');
    sig[sig.length - 2]! ^= 1;
    json.verificationMaterial.tlogEntries[0].inclusionPromise.signedEntryTimestamp = sig.toString('base64');
    // The proof still holds, so drop it: only the SET then vouches for the entry.
    delete json.verificationMaterial.tlogEntries[0].inclusionProof;
    const bad = path.join(stack.dir, 'bad.sigstore.json');
    await writeFile(bad, JSON.stringify(json));
    const v = await seal(['verify-blob', '--key', pub, '--bundle', bad, ...trusted(), file]);
    assert.equal(v.code, 3, v.stderr);
    noStack(v.stderr);
  });

  test('a bundle without an entry fails --require-tlog (exit 3); --tlog-upload without --bundle is a usage error', async () => {
    const plain = path.join(stack.dir, 'plain.sigstore.json');
    assert.equal((await seal(['sign-blob', '--key', key, '--bundle', plain, file])).code, 0);
    const v = await seal(['verify-blob', '--key', pub, '--bundle', plain, ...trusted(), '--require-tlog', file]);
    assert.equal(v.code, 3, v.stderr);
    assert.match(v.stderr, /no transparency log entry/);
    const n = entries();
    const u = await seal(['sign-blob', '--key', key, ...upload(), file]);
    assert.equal(u.code, 2, u.stderr);
    assert.equal(entries(), n);
  });
});

describe('failures before anything is stored', () => {
  test('an unreachable Rekor: exit 4, nothing pushed, earlier signatures kept', async () => {
    const img = await makeImageLayout(path.join(stack.dir, 'unreachable'));
    const r = `oci:${img.dir}:latest`;
    assert.equal((await seal(['sign', '--key', key, r])).code, 0);
    const s = await seal(['sign', '--key', key, '--tlog-upload', '--rekor-url', 'http://127.0.0.1:9', r]);
    assert.equal(s.code, 4, s.stderr);
    assert.match(s.stderr, /Rekor at http:\/\/127\.0\.0\.1:9/);
    noStack(s.stderr);
    assert.equal((await attached(img.dir, img.digest, 'sig')).layers.length, 1);
  });

  test('the public-log notice: printed for the public Rekor, not for another one or with --yes', async () => {
    const img = await makeImageLayout(path.join(stack.dir, 'notice'));
    const r = `oci:${img.dir}:latest`;
    const notice = /public Rekor transparency log/;
    const custom = await seal(['sign', '--key', key, ...upload(), r]);
    assert.equal(custom.code, 0, custom.stderr);
    assert.doesNotMatch(custom.stderr, notice);
    // attest prints the notice before reading the predicate, so a missing predicate stops it
    // before the public Rekor is contacted.
    const missing = path.join(stack.dir, 'missing.json');
    const pub1 = await seal(['attest', '--key', key, '--tlog-upload', '--predicate', missing, r]);
    assert.equal(pub1.code, 1, pub1.stderr);
    assert.match(pub1.stderr, notice);
    const quiet = await seal(['attest', '--key', key, '--tlog-upload', '--yes', '--predicate', missing, r]);
    assert.equal(quiet.code, 1, quiet.stderr);
    assert.doesNotMatch(quiet.stderr, notice);
  });
});

describe('a registry round trip', { skip: !registryInstalled() && 'docker-registry is not installed' }, () => {
  let reg: RunningRegistry;
  before(async () => {
    reg = await startRegistry('plain');
  });
  after(async () => {
    await reg?.stop();
  });

  test('sign --tlog-upload to a registry, verify with --trusted-root --require-tlog', async () => {
    const img = await makeImageLayout(path.join(stack.dir, 'reg-img'));
    await pushWithSkopeo(img.dir, 'latest', reg, 'tlog/app:v1');
    const ref = `${reg.host}/tlog/app:v1`;
    const n = entries();
    const s = await seal(['sign', '--key', key, ...upload(), ref]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(entries() - n, 1);
    const v = await seal(['verify', '--key', pub, ...trusted(), '--require-tlog', '-o', 'json', ref]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(JSON.parse(v.stdout)[0].signatures[0].checks.tlog, true);
  });
});
