// seal trusted-root create: a trusted root written from service specifications (the local Sigstore
// stack's CA chain, Rekor and CT keys, TSA chain as PEM files) verifies a bundle signed on that
// stack exactly as the stack's own trusted root does; Rekor v2 log ids match the conformance suite.
import assert from 'node:assert/strict';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSigstoreStack, type SigstoreStack } from '../harness/sigstore-stack.ts';
import { runInProcess } from '../helpers/in-process.ts';

const EMAIL = 'alice@example.com';
let stack: SigstoreStack;
let work: string;
let stackRoot: {
  tlogs: { baseUrl: string; publicKey: { rawBytes: string; validFor: { start: string } }; logId: { keyId: string } }[];
  ctlogs: { baseUrl: string; publicKey: { rawBytes: string; validFor: { start: string } }; logId: { keyId: string } }[];
  certificateAuthorities: { uri: string; certChain: { certificates: { rawBytes: string }[] } }[];
  timestampAuthorities: { uri: string; certChain: { certificates: { rawBytes: string }[] } }[];
};
let specs: string[];

const pemCerts = (certs: { rawBytes: string }[]) => certs.map((c) => new X509Certificate(Buffer.from(c.rawBytes, 'base64')).toString()).join('');
const pemKey = (raw: string) =>
  createPublicKey({ key: Buffer.from(raw, 'base64'), format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }) as string;

before(async () => {
  stack = await startSigstoreStack();
  work = await mkdtemp(path.join(tmpdir(), 'seal-trc-'));
  stackRoot = JSON.parse(await readFile(stack.trustedRootPath, 'utf8'));
  const f = (name: string) => path.join(work, name);
  await writeFile(f('fulcio.pem'), pemCerts(stackRoot.certificateAuthorities[0]!.certChain.certificates));
  await writeFile(f('tsa.pem'), pemCerts(stackRoot.timestampAuthorities[0]!.certChain.certificates));
  await writeFile(f('rekor.pub'), pemKey(stackRoot.tlogs[0]!.publicKey.rawBytes));
  await writeFile(f('ctfe.pub'), pemKey(stackRoot.ctlogs[0]!.publicKey.rawBytes));
  const start = '2020-01-01T00:00:00Z';
  specs = [
    '--fulcio',
    `url=${stack.fulcioUrl},certificate-chain=${f('fulcio.pem')}`,
    '--rekor',
    `url=${stack.rekorUrl},public-key=${f('rekor.pub')},start-time=${start}`,
    '--ctfe',
    `url=${stack.url},public-key=${f('ctfe.pub')},start-time=${start}`,
    '--tsa',
    `url=${stack.tsaUrl},certificate-chain=${f('tsa.pem')}`,
  ];
  const token = stack.mintToken(EMAIL);
  await writeFile(f('artifact.txt'), 'release bytes\n');
  const r = await runInProcess(
    [
      'sign-blob',
      '--identity-token',
      token,
      '--fulcio-url',
      stack.fulcioUrl,
      '--rekor-url',
      stack.rekorUrl,
      '--bundle',
      f('artifact.sigstore.json'),
      f('artifact.txt'),
    ],
    {
      env: { SIGSTORE_ID_TOKEN: undefined },
    },
  );
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await stack?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('seal trusted-root create', () => {
  test("from the stack's PEM files: same log ids as the stack's root, and a keyless bundle verifies with it", async () => {
    const out = path.join(work, 'created.json');
    const r = await runInProcess(['trusted-root', 'create', ...specs, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const created = JSON.parse(await readFile(out, 'utf8'));
    assert.equal(created.mediaType, 'application/vnd.dev.sigstore.trustedroot+json;version=0.1');
    assert.equal(created.tlogs[0].logId.keyId, stackRoot.tlogs[0]!.logId.keyId);
    assert.equal(created.ctlogs[0].logId.keyId, stackRoot.ctlogs[0]!.logId.keyId);
    assert.equal(created.certificateAuthorities[0].uri, stack.fulcioUrl);
    const v = await runInProcess([
      'verify-blob',
      '--bundle',
      path.join(work, 'artifact.sigstore.json'),
      '--certificate-identity',
      EMAIL,
      '--certificate-oidc-issuer',
      stack.issuer,
      '--trusted-root',
      out,
      path.join(work, 'artifact.txt'),
    ]);
    assert.equal(v.code, 0, v.stderr);
  });

  test('without the Rekor log the same bundle no longer verifies (the created root is what is trusted)', async () => {
    const out = path.join(work, 'no-rekor.json');
    const noRekor = specs.filter((_s, i) => i !== 2 && i !== 3);
    assert.equal((await runInProcess(['trusted-root', 'create', ...noRekor, '--out', out])).code, 0);
    const v = await runInProcess([
      'verify-blob',
      '--bundle',
      path.join(work, 'artifact.sigstore.json'),
      '--certificate-identity',
      EMAIL,
      '--certificate-oidc-issuer',
      stack.issuer,
      '--trusted-root',
      out,
      path.join(work, 'artifact.txt'),
    ]);
    assert.equal(v.code, 3, v.stderr);
  });

  test("a Rekor v2 log given its origin gets the checkpoint key id the conformance suite's root has", async () => {
    const tr = JSON.parse(
      await readFile(new URL('../fixtures/sigstore-conformance/test/assets/bundle-verify/rekor2-happy-path/trusted_root.json', import.meta.url), 'utf8'),
    );
    const log = tr.tlogs.find((t: { baseUrl: string }) => t.baseUrl.includes('log2025-alpha1'));
    const pub = path.join(work, 'rekor2.pub');
    await writeFile(pub, pemKey(log.publicKey.rawBytes));
    const r = await runInProcess([
      'trusted-root',
      'create',
      '--rekor',
      `url=${log.baseUrl},public-key=${pub},start-time=${log.publicKey.validFor.start},origin=log2025-alpha1.rekor.sigstage.dev`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const created = JSON.parse(r.stdout);
    assert.equal(created.tlogs[0].logId.keyId, log.logId.keyId);
    assert.equal(created.tlogs[0].publicKey.keyDetails, 'PKIX_ED25519');
  });

  test('--with-default-services keeps the public-good services; --no-default-tsa drops theirs', async () => {
    const r = await runInProcess(['trusted-root', 'create', '--with-default-services', '--no-default-tsa', ...specs.slice(6)], {
      env: { SEAL_TUF_CACHE: path.join(work, 'no-cache') },
    });
    assert.equal(r.code, 0, r.stderr);
    const created = JSON.parse(r.stdout);
    assert.ok(created.tlogs.some((t: { baseUrl: string }) => t.baseUrl === 'https://rekor.sigstore.dev'));
    assert.deepEqual(
      created.timestampAuthorities.map((t: { uri: string }) => t.uri),
      [stack.tsaUrl],
    );
  });

  test('bad specifications are usage errors (exit 2); unreadable or wrong files are input errors (exit 1)', async () => {
    const cases: [string[], number, RegExp][] = [
      [['--rekor', `url=x,public-key=${path.join(work, 'rekor.pub')}`], 2, /lacks start-time=/],
      [['--rekor', `url=x,publik-key=a,start-time=2020-01-01T00:00:00Z`], 2, /unknown key "publik-key"/],
      [['--rekor', `url=x,public-key=${path.join(work, 'rekor.pub')},start-time=yesterday`], 2, /not an RFC 3339 time/],
      [['--fulcio', 'url'], 2, /is not key=value/],
      [[], 2, /would trust nothing/],
      [['--rekor', `url=x,public-key=${path.join(work, 'artifact.txt')},start-time=2020-01-01T00:00:00Z`], 1, /not a PEM public key/],
      [['--tsa', `url=x,certificate-chain=${path.join(work, 'fulcio.pem')}`], 1, /must be the TSA's leaf/],
      [['--fulcio', `url=x,certificate-chain=${path.join(work, 'missing.pem')}`], 1, /cannot read/],
    ];
    for (const [args, code, re] of cases) {
      const r = await runInProcess(['trusted-root', 'create', ...args]);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
  });
});
