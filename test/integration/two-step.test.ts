// Two-step (offline / HSM) signing end to end, through the CLI (in this process): seal generate prints the
// payload, openssl signs it as an HSM would, seal attach signature checks and stores it;
// sign --upload=false writes files and leaves the store alone; attach attestation takes DSSE
// envelopes (signed with openssl) and Sigstore bundles. On OCI layouts, plus one registry round trip.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { blobPath, makeImageLayout, pushWithSkopeo, startRegistry, type RunningRegistry } from '../harness/index.ts';
import { startSigstoreStack, type SigstoreStack } from '../harness/sigstore-stack.ts';
import { workspace } from '../helpers/workspace.ts';
import { runCliInProcess as seal } from '../helpers/in-process.ts';

const {
  dir: work,
  keys: {
    key: { key, pub },
    other: { key: otherKey, pub: otherPub },
  },
} = await workspace('seal-two-step-', ['key', 'other']);
let n = 0;

const file = (name: string): string => path.join(work, `${n}-${name}`);

async function newImage(): Promise<{ dir: string; ref: string; digest: string }> {
  n++;
  const img = await makeImageLayout(path.join(work, `img-${n}`));
  return { dir: img.dir, ref: `oci:${img.dir}:latest`, digest: img.digest };
}

/** Every file of a layout with its sha256: equal snapshots mean nothing was written. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const p = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, p)] = createHash('sha256')
      .update(await readFile(p))
      .digest('hex');
  }
  return out;
}

/** The payload blobs of the image's `.sig` image in a layout. */
async function sigPayloads(dir: string, digest: string): Promise<Buffer[]> {
  const index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  const tag = `${digest.replace(':', '-')}.sig`;
  const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!entry) return [];
  const manifest = JSON.parse(await readFile(blobPath(dir, entry.digest), 'utf8')) as { layers: { digest: string }[] };
  return Promise.all(manifest.layers.map((l) => readFile(blobPath(dir, l.digest))));
}

/** openssl as the offline signer: a DER ECDSA signature over the file's bytes. */
function opensslSign(signingKey: string, input: string, out: string): void {
  execFileSync('openssl', ['dgst', '-sha256', '-sign', signingKey, '-out', out, input]);
}

/** A DSSE envelope over an in-toto statement, signed with openssl (PAE computed here). */
async function opensslEnvelope(signingKey: string, subjectDigest: string, predicateType: string): Promise<string> {
  const statement = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'app', digest: { sha256: subjectDigest.replace('sha256:', '') } }],
      predicateType,
      predicate: { approvedBy: 'release-team' },
    }),
  );
  const type = 'application/vnd.in-toto+json';
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${type} ${statement.length} `), statement]);
  const paeFile = file('pae.bin');
  await writeFile(paeFile, pae);
  opensslSign(signingKey, paeFile, file('pae.sig'));
  const sig = await readFile(file('pae.sig'));
  const envelope = file('envelope.json');
  await writeFile(envelope, JSON.stringify({ payloadType: type, payload: statement.toString('base64'), signatures: [{ sig: sig.toString('base64') }] }));
  return envelope;
}

async function verifiedSignatures(ref: string): Promise<{ format: string; verified: boolean }[]> {
  const v = await seal(['verify', '--key', pub, '-o', 'json', ref]);
  assert.equal(v.code, 0, v.stderr);
  return JSON.parse(v.stdout)[0].signatures;
}

describe('seal generate', () => {
  test('prints exactly the payload seal sign stores, annotations included, with no newline', async () => {
    const img = await newImage();
    const g = await seal(['generate', '-a', 'env=prod', '-a', 'a=<&>', img.ref]);
    assert.equal(g.code, 0, g.stderr);
    assert.ok(!g.stdout.endsWith('\n'));
    const s = await seal(['sign', '--key', key, '-a', 'env=prod', '-a', 'a=<&>', img.ref]);
    assert.equal(s.code, 0, s.stderr);
    const [stored] = await sigPayloads(img.dir, img.digest);
    assert.equal(g.stdout, stored!.toString('utf8'));
    assert.match(g.stdout, new RegExp(`"docker-manifest-digest":"${img.digest}"`));
    assert.match(g.stdout, /\\u003c\\u0026\\u003e/); // Go's HTML escaping, as cosign
  });

  test('an image that does not exist exits 11', async () => {
    const img = await newImage();
    const g = await seal(['generate', `oci:${img.dir}:nope`]);
    assert.equal(g.code, 11, g.stderr);
    assert.equal(g.stdout, '');
  });
});

describe('seal attach signature', () => {
  test('generate → openssl → attach (DER, then base64 on stdin) → verify; earlier signatures are kept', async () => {
    const img = await newImage();
    assert.equal((await seal(['sign', '--key', key, img.ref])).code, 0); // an existing signature
    const payload = file('payload.json');
    await writeFile(payload, (await seal(['generate', '-a', 'hsm=yes', img.ref])).stdout);
    opensslSign(key, payload, file('payload.sig'));
    const a = await seal(['attach', 'signature', '--payload', payload, '--signature', file('payload.sig'), '--key', pub, '-o', 'json', img.ref]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(JSON.parse(a.stdout).verified, true);
    assert.equal((await verifiedSignatures(img.ref)).filter((s) => s.verified).length, 2);
    assert.equal((await seal(['verify', '--key', pub, '-a', 'hsm=yes', img.ref])).code, 0);
    assert.equal((await seal(['verify', '--key', otherPub, img.ref])).code, 12);

    // Another signer's base64 signature over the same payload, from stdin, without --key.
    opensslSign(otherKey, payload, file('other.sig'));
    const b64 = (await readFile(file('other.sig'))).toString('base64').replace(/(.{60})/g, '$1\n') + '\n';
    const b = await seal(['attach', 'signature', '--payload', payload, '--signature', '-', img.ref], { input: b64 });
    assert.equal(b.code, 0, b.stderr);
    const v = await seal(['verify', '--key', otherPub, '-o', 'json', img.ref]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(JSON.parse(v.stdout)[0].signatures.length, 3);
  });

  test('a payload for another image is refused (exit 3) and nothing is written', async () => {
    const img = await newImage();
    const other = await newImage();
    const payload = file('payload.json');
    await writeFile(payload, (await seal(['generate', other.ref])).stdout);
    opensslSign(key, payload, file('payload.sig'));
    const before = await snapshot(img.dir);
    const r = await seal(['attach', 'signature', '--payload', payload, '--signature', file('payload.sig'), img.ref]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, new RegExp(`payload is for ${other.digest}, not ${img.digest}`));
    assert.match(r.stderr, /seal generate/);
    assert.doesNotMatch(r.stderr, /\n\s+at /); // one line, no stack
    assert.deepEqual(await snapshot(img.dir), before);
  });

  test('a signature that does not verify with --key is refused (exit 3) and nothing is written', async () => {
    const img = await newImage();
    const payload = file('payload.json');
    await writeFile(payload, (await seal(['generate', img.ref])).stdout);
    opensslSign(otherKey, payload, file('payload.sig'));
    const before = await snapshot(img.dir);
    const r = await seal(['attach', 'signature', '--payload', payload, '--signature', file('payload.sig'), '--key', pub, img.ref]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /does not verify/);
    // A payload changed by one byte after signing is caught the same way.
    await writeFile(file('tampered.json'), (await readFile(payload, 'utf8')).replace('"optional":null', '"optional":{}'));
    opensslSign(key, payload, file('good.sig'));
    const t = await seal(['attach', 'signature', '--payload', file('tampered.json'), '--signature', file('good.sig'), '--key', pub, img.ref]);
    assert.equal(t.code, 3, t.stderr);
    assert.deepEqual(await snapshot(img.dir), before);
  });

  test('malformed input is refused before the store is touched', async () => {
    const img = await newImage();
    const payload = file('payload.json');
    await writeFile(payload, (await seal(['generate', img.ref])).stdout);
    await writeFile(file('junk.sig'), 'not a signature!\n');
    const before = await snapshot(img.dir);
    const bad = await seal(['attach', 'signature', '--payload', payload, '--signature', file('junk.sig'), img.ref]);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /neither base64 text nor a DER signature/);
    await writeFile(file('notjson'), 'hello');
    opensslSign(key, file('notjson'), file('notjson.sig'));
    const nj = await seal(['attach', 'signature', '--payload', file('notjson'), '--signature', file('notjson.sig'), img.ref]);
    assert.equal(nj.code, 1, nj.stderr);
    assert.match(nj.stderr, /payload is not JSON/);
    const missing = await seal(['attach', 'signature', '--payload', payload, img.ref]);
    assert.equal(missing.code, 2, missing.stderr);
    assert.deepEqual(await snapshot(img.dir), before);
  });
});

describe('seal sign --upload=false', () => {
  test('legacy: writes signature and payload, the layout is unchanged; attaching them later verifies', async () => {
    const img = await newImage();
    const before = await snapshot(img.dir);
    const sig = file('sig.b64');
    const payload = file('payload.json');
    const s = await seal(['sign', '--key', key, '--upload=false', '--output-signature', sig, '--output-payload', payload, '-o', 'json', img.ref]);
    assert.equal(s.code, 0, s.stderr);
    assert.deepEqual(JSON.parse(s.stdout)[0], { image: img.ref, digest: img.digest, format: 'legacy', files: [sig, payload], location: '', uploaded: false });
    assert.deepEqual(await snapshot(img.dir), before, 'no new tag, manifest or blob');
    assert.equal((await seal(['verify', '--key', pub, img.ref])).code, 10);
    // Exact payload bytes (as generate prints them), base64 signature without newline that openssl accepts.
    assert.equal(await readFile(payload, 'utf8'), (await seal(['generate', img.ref])).stdout);
    const b64 = await readFile(sig, 'utf8');
    assert.match(b64, /^[A-Za-z0-9+/]+=*$/);
    await writeFile(file('sig.der'), Buffer.from(b64, 'base64'));
    execFileSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', file('sig.der'), payload]);

    const a = await seal(['attach', 'signature', '--payload', payload, '--signature', sig, '--key', pub, img.ref]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal((await verifiedSignatures(img.ref)).length, 1);
  });

  test('bundle: --bundle gets the bundle, nothing is pushed; attach signature stores it as a referrer', async () => {
    const img = await newImage();
    const before = await snapshot(img.dir);
    const bundle = file('sign.sigstore.json');
    // As cosign: --upload=false alone signs and keeps nothing (a warning says so); the store is untouched.
    const alone = await seal(['sign', '--key', key, '--format', 'bundle', '--upload=false', img.ref]);
    assert.equal(alone.code, 0, alone.stderr);
    assert.match(alone.stderr, /--upload=false and no output file/);
    const s = await seal(['sign', '--key', key, '--format', 'bundle', '--upload=false', '--bundle', bundle, img.ref]);
    assert.equal(s.code, 0, s.stderr);
    assert.deepEqual(await snapshot(img.dir), before);
    const a = await seal(['attach', 'signature', '--payload', bundle, '--key', pub, img.ref]);
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual(
      (await verifiedSignatures(img.ref)).map((s) => [s.format, s.verified]),
      [['bundle', true]],
    );
  });

  test('the output flags also work while uploading and are replaced on a re-run (as cosign); bad combinations are refused first', async () => {
    const img = await newImage();
    const sig = file('sig.b64');
    const s = await seal(['sign', '--key', key, '--output-signature', sig, img.ref]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal((await verifiedSignatures(img.ref)).length, 1);
    await writeFile(sig, 'stale');
    const rerun = await seal(['sign', '--key', key, '--upload=false', '--output-signature', sig, img.ref]);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(await readFile(sig, 'utf8'), /^[A-Za-z0-9+/]+=*$/, 'the file is replaced');
    const before = await snapshot(img.dir);
    // cosign v3: --bundle alone means the bundle format; with a key, --output-certificate gets the public key.
    const b = await seal(['sign', '--key', key, '--upload=false', '--bundle', file('b.json'), '--output-certificate', file('pub.pem'), img.ref]);
    assert.equal(b.code, 0, b.stderr);
    assert.match(await readFile(file('pub.pem'), 'utf8'), /^-----BEGIN PUBLIC KEY-----\n/);
    for (const args of [
      ['--upload=false', '--format', 'bundle', '--output-signature', file('x')],
      ['--upload=false', '--format', 'legacy', '--bundle', file('x')],
      ['--upload=false', '-r', '--output-payload', file('x')],
    ]) {
      const r = await seal(['sign', '--key', key, ...args, img.ref]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    }
    assert.deepEqual(await snapshot(img.dir), before);
  });
});

describe('seal attach attestation', () => {
  test('an openssl-signed DSSE envelope round trip: .att layer, verify-attestation passes', async () => {
    const img = await newImage();
    const predicateType = 'https://example.com/release-approval/v1';
    const envelope = await opensslEnvelope(key, img.digest, predicateType);
    const a = await seal(['attach', 'attestation', '--attestation', envelope, '--key', pub, '-o', 'json', img.ref]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(JSON.parse(a.stdout).format, 'legacy');
    const v = await seal(['verify-attestation', '--key', pub, '-o', 'json', img.ref]);
    assert.equal(v.code, 0, v.stderr);
    const [report] = JSON.parse(v.stdout);
    assert.deepEqual(
      report.attestations.map((x: { predicateType: string; verified: boolean }) => [x.predicateType, x.verified]),
      [[predicateType, true]],
    );
    assert.equal((await seal(['verify-attestation', '--key', otherPub, img.ref])).code, 12);
  });

  test('a foreign subject, a wrong key, or a non-attestation is refused and nothing is written', async () => {
    const img = await newImage();
    const other = await newImage();
    const before = await snapshot(img.dir);
    const foreign = await opensslEnvelope(key, other.digest, 'https://example.com/x/v1');
    const f = await seal(['attach', 'attestation', '--attestation', foreign, img.ref]);
    assert.equal(f.code, 3, f.stderr);
    assert.match(f.stderr, new RegExp(`not about .*${img.digest}.*its subjects are ${other.digest}`));
    const wrongKey = await opensslEnvelope(otherKey, img.digest, 'https://example.com/x/v1');
    const w = await seal(['attach', 'attestation', '--attestation', wrongKey, '--key', pub, img.ref]);
    assert.equal(w.code, 3, w.stderr);
    await writeFile(file('garbage.json'), '{"hello":');
    assert.equal((await seal(['attach', 'attestation', '--attestation', file('garbage.json'), img.ref])).code, 1);
    assert.deepEqual(await snapshot(img.dir), before);
  });

  test('a Sigstore bundle (attest-blob over the image digest) is attached as a referrer', async () => {
    const img = await newImage();
    const predicate = file('predicate.json');
    await writeFile(predicate, '{"ticket":"REL-42"}');
    const bundle = file('att.sigstore.json');
    const b = await seal([
      'attest-blob',
      '--key',
      key,
      '--hash',
      img.digest.slice(7),
      '--type',
      'https://example.com/ticket/v1',
      '--predicate',
      predicate,
      '--bundle',
      bundle,
    ]);
    assert.equal(b.code, 0, b.stderr);
    const other = await newImage();
    const before = await snapshot(other.dir);
    assert.equal((await seal(['attach', 'attestation', '--attestation', bundle, other.ref])).code, 3);
    assert.deepEqual(await snapshot(other.dir), before);
    const a = await seal(['attach', 'attestation', '--attestation', bundle, '--key', pub, '-o', 'json', img.ref]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(JSON.parse(a.stdout).format, 'bundle');
    const v = await seal(['verify-attestation', '--key', pub, '--type', 'https://example.com/ticket/v1', img.ref]);
    assert.equal(v.code, 0, v.stderr);
  });
});

describe('registry round trip', () => {
  let reg: RunningRegistry;
  before(async () => {
    reg = await startRegistry('plain');
  });
  after(() => reg?.stop());

  test('generate → openssl → attach signature → verify, next to a seal sign signature', async () => {
    const img = await newImage();
    const digest = await pushWithSkopeo(img.dir, 'latest', reg, 'two-step:v1');
    const ref = `${reg.host}/two-step:v1`;
    assert.equal((await seal(['sign', '--key', key, ref])).code, 0);
    const g = await seal(['generate', ref]);
    assert.equal(g.code, 0, g.stderr);
    assert.match(g.stdout, new RegExp(`"docker-reference":"${reg.host}/two-step".*"${digest}"`));
    const payload = file('payload.json');
    await writeFile(payload, g.stdout);
    opensslSign(key, payload, file('payload.sig'));
    const a = await seal(['attach', 'signature', '--payload', payload, '--signature', file('payload.sig'), '--key', pub, ref]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal((await verifiedSignatures(ref)).filter((s) => s.verified).length, 2);
    const envelope = await opensslEnvelope(key, digest, 'https://example.com/release-approval/v1');
    assert.equal((await seal(['attach', 'attestation', '--attestation', envelope, '--key', pub, ref])).code, 0);
    assert.equal((await seal(['verify-attestation', '--key', pub, ref])).code, 0);
  });
});

describe('keyless, on the local Sigstore stack', () => {
  let stack: SigstoreStack;
  let token: string;
  const EMAIL = 'release@example.com';
  before(async () => {
    stack = await startSigstoreStack();
    token = stack.mintToken(EMAIL);
  });
  after(() => stack?.stop());
  const keyless = () => ['--identity-token', token, '--fulcio-url', stack.fulcioUrl, '--rekor-url', stack.rekorUrl];

  test('legacy --upload=false writes the certificate; attach signature --certificate checks it against the signature', async () => {
    const img = await newImage();
    const before = await snapshot(img.dir);
    const [sig, payload, cert] = [file('sig.b64'), file('payload.json'), file('cert.pem')];
    const s = await seal([
      'sign',
      ...keyless(),
      '--upload=false',
      '--output-signature',
      sig,
      '--output-payload',
      payload,
      '--output-certificate',
      cert,
      img.ref,
    ]);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stderr, /Rekor entry .* not written/);
    assert.deepEqual(await snapshot(img.dir), before);
    assert.match(await readFile(cert, 'utf8'), /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    // Another signature with this certificate is refused; the right one is attached with it.
    opensslSign(key, payload, file('key.sig'));
    const wrong = await seal(['attach', 'signature', '--payload', payload, '--signature', file('key.sig'), '--certificate', cert, img.ref]);
    assert.equal(wrong.code, 3, wrong.stderr);
    assert.deepEqual(await snapshot(img.dir), before);
    const a = await seal(['attach', 'signature', '--payload', payload, '--signature', sig, '--certificate', cert, img.ref]);
    assert.equal(a.code, 0, a.stderr);
    const [stored] = await sigPayloads(img.dir, img.digest);
    assert.deepEqual(stored, await readFile(payload));
  });

  test('bundle --upload=false --bundle, attached later, verifies by identity', async () => {
    const img = await newImage();
    const bundle = file('sign.sigstore.json');
    const s = await seal(['sign', ...keyless(), '--format', 'bundle', '--upload=false', '--bundle', bundle, img.ref]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal((await seal(['attach', 'signature', '--payload', bundle, img.ref])).code, 0);
    const v = await seal([
      'verify',
      '--certificate-identity',
      EMAIL,
      '--certificate-oidc-issuer',
      stack.issuer,
      '--trusted-root',
      stack.trustedRootPath,
      img.ref,
    ]);
    assert.equal(v.code, 0, v.stderr);
    assert.ok(![s.stdout, s.stderr, v.stdout, v.stderr].some((out) => out.includes(token)), 'the identity token was printed');
  });
});
