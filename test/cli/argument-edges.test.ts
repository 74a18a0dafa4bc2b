// Rough edges of the command line (qa, session 4): every key scheme seal does not take is one
// usage error; `-` is stdin and "" is no file, whichever parser reads the line; a negative
// --timeout before the command is one clear line; empty input flags say so; a broken TUF cache met
// while signing names what helps when signing; --insecure-skip-verify says in --help that it
// changes nothing. All in-process, no network.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { mirrorDir } from '../../src/sigstore/tuf-cache.ts';
import { runInProcess } from '../helpers/in-process.ts';
import { workspace } from '../helpers/workspace.ts';

const { dir: work, key, pub } = await workspace('seal-arg-edges-');
const blob = path.join(work, 'blob');
await writeFile(blob, 'bytes');
const seal = (args: string[], input = '') =>
  runInProcess(args, { cwd: work, input, env: { HOME: '/nonexistent', XDG_CACHE_HOME: '/nonexistent', SIGSTORE_ID_TOKEN: undefined } });

/** Exit `code`, one `Error:` line on stderr matching `re`, nothing on stdout. */
function oneLine(r: { code: number; stdout: string; stderr: string }, code: number, re: RegExp, what: string): void {
  assert.equal(r.code, code, `${what}: ${r.stderr}`);
  assert.match(r.stderr, /^Error: [^\n]*\n$/, what);
  assert.match(r.stderr, re, what);
  assert.equal(r.stdout, '', what);
}

test('every scheme:// key seal does not take is a usage error (exit 2) naming the seal way', async () => {
  const cases: [string[], RegExp][] = [
    [
      ['sign-blob', '--key', 'awskms:///alias/release', blob],
      /awskms:\/\/ keys \(cloud KMS\) are not supported by seal; sign in two steps: seal generate IMAGE > payload\.json/,
    ],
    [['sign-blob', '--key', 'hashivault://release', blob], /hashivault:\/\/ keys \(cloud KMS\) .*seal attach signature/],
    [
      ['sign-blob', '--key', 'k8s://ns/secret', blob],
      /k8s:\/\/ keys \(Kubernetes secrets\) are not supported by seal; .*kubectl get secret .* > cosign\.key, then --key cosign\.key/,
    ],
    [['verify-blob', '--key', 'k8s://ns/secret', '--signature', 'x', blob], /kubectl get secret .* > cosign\.pub, then --key cosign\.pub/],
    [
      ['verify-blob', '--key', 'https://example.com/cosign.pub', '--signature', 'x', blob],
      /https:\/\/ keys \(URLs\) are not supported by seal; download the key .*curl -fsSLo cosign\.pub URL/,
    ],
    [['verify', '--key', 'https://example.com/cosign.pub', `oci:${work}/none`], /https:\/\/ keys \(URLs\)/],
    [['sign-blob', '--key', 'gitlab://group/project', blob], /gitlab:\/\/ keys \(GitLab variables\) .*env:\/\/VAR/],
    [['sign-blob', '--key', 'myplugin://key', blob], /myplugin:\/\/ keys \(KMS plugins\) .*pkcs11: URI/],
    [['generate-key-pair', '--kms', 'gcpkms://projects/p/key'], /--kms gcpkms: seal creates keys on PKCS#11 tokens/],
    // cosign's key pair targets: refused before any password is asked, nothing written.
    [
      ['generate-key-pair', 'k8s://ns/secret'],
      /^Error: generate-key-pair k8s:\/\/ targets are not supported by seal; run seal generate-key-pair, then kubectl create secret generic NAME .*--from-file=cosign\.key/,
    ],
    [['generate-key-pair', 'gitlab://group/project'], /gitlab:\/\/ targets are not supported by seal; .*CI secrets/],
  ];
  for (const [args, re] of cases) oneLine(await seal(args), 2, re, args.join(' '));
  assert.deepEqual(
    (await import('node:fs')).readdirSync(work).filter((f) => f.startsWith('cosign.')),
    [],
  );
});

test('sign-blob and verify-blob: `-` is stdin and "" is refused, with long and bundled short flags (-fk, -dk)', async () => {
  for (const keyFlags of [
    ['--key', key],
    ['-fk', key],
  ]) {
    const signed = await seal(['sign-blob', ...keyFlags, '-'], 'from stdin');
    assert.equal(signed.code, 0, signed.stderr);
    const sig = path.join(work, 'stdin.sig');
    await writeFile(sig, signed.stdout.trim());
    // The signature is over the stdin bytes, not over an empty file or the working directory.
    for (const verifyKey of [
      ['--key', pub],
      ['-dk', pub],
    ]) {
      const ok = await seal(['verify-blob', ...verifyKey, '--signature', sig, '-'], 'from stdin');
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal((await seal(['verify-blob', ...verifyKey, '--signature', sig, '-'], 'other')).code, 3);
      const empty = await seal(['verify-blob', ...verifyKey, '--signature', sig, ''], 'from stdin');
      const said = /^Error: no file given \(the file argument is empty\); name the file to verify, - for stdin/;
      if (verifyKey[0] === '--key') oneLine(empty, 2, said, 'verify-blob --key ""');
      else {
        // -d in -dk is --verbose, as in cosign: the stack follows the line.
        assert.equal(empty.code, 2, empty.stderr);
        assert.match(empty.stderr, new RegExp(`${said.source}[^\\n]*\\n(.*\\n)*\\s+at `));
      }
    }
    oneLine(
      await seal(['sign-blob', ...keyFlags, ''], 'from stdin'),
      2,
      /^Error: no file given \(the file argument is empty\); name the file to sign, or - for stdin\n$/,
      `sign-blob ${keyFlags[0]} ""`,
    );
  }
  // Global flags before the command too.
  const dashed = await seal(['-d', 'sign-blob', '-fk', key, '-'], 'from stdin');
  assert.equal(dashed.code, 0, dashed.stderr);
  assert.match(dashed.stderr, /signed 10 bytes from stdin/);
});

test('attest-blob, verify-blob-attestation, manifest and dockerfile verify: an empty file argument is refused in one line', async () => {
  const pred = path.join(work, 'pred.json');
  await writeFile(pred, '{}');
  const cases: [string[], RegExp][] = [
    [['attest-blob', '--key', key, '--predicate', pred, ''], /no file given \(the file argument is empty\); name the file to attest, or give --hash/],
    [['verify-blob-attestation', '--key', pub, '--bundle', pred, ''], /no file given .*or give --digest/],
    [['manifest', 'verify', '--key', pub, ''], /no file given .*name the manifest, or - for stdin/],
    [['dockerfile', 'verify', '--key', pub, ''], /no file given .*name the Dockerfile, or - for stdin/],
  ];
  for (const [args, re] of cases) oneLine(await seal(args), 2, re, args.join(' '));
});

test('--timeout: a negative or unreadable duration is one line (exit 2) naming the forms, before or after the command', async () => {
  const forms = /use a duration such as 3m0s, 90s, 1h30m or 500ms/;
  const cases: [string[], RegExp][] = [
    [['--timeout', '-5s', 'sign-blob', '--key', key, blob], /^Error: invalid --timeout "-5s" \(it cannot be negative\): /],
    [['-t', '-5s', 'verify', '--key', pub, `oci:${work}/none`], /^Error: invalid --timeout "-5s" \(it cannot be negative\): /],
    [['-t=-1m', 'env'], /invalid --timeout "-1m" \(it cannot be negative\)/],
    [['sign-blob', '--key', key, '--timeout', '-5s', blob], /invalid --timeout "-5s" \(it cannot be negative\)/],
    [['--timeout', 'soon', 'env'], /^Error: invalid --timeout "soon": /],
    [['env', '-t', '5'], /invalid --timeout "5": /],
  ];
  for (const [args, re] of cases) {
    const r = await seal(args);
    oneLine(r, 2, re, args.join(' '));
    assert.match(r.stderr, forms);
  }
  // Bundled after -d (--verbose, so the stack follows the line), -t takes the next argument,
  // dash or not, as pflag does; before or after the command.
  for (const args of [
    ['-dt', '-5s', 'env'],
    ['sign-blob', '-dt', '-5s', '--key', key, blob],
    ['sign-blob', '--key', key, '-dt=-5s', blob],
  ]) {
    const r = await seal(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /^Error: invalid --timeout "-5s" \(it cannot be negative\): use a duration such as 3m0s, [^\n]*\n(.*\n)*\s+at /, args.join(' '));
  }
  // A valid one before the command still works, as cobra takes cosign's persistent flags.
  for (const args of [
    ['--timeout', '5m', 'sign-blob', '--key', key, blob],
    ['-t', '90s', '-d', 'sign-blob', '--key', key, blob],
  ]) {
    const r = await seal(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /^M[A-Za-z0-9+/=]+\n$/);
  }
});

test('an empty input flag says which flag is empty, not "predicate file  does not exist"', async () => {
  const cases: [string[], RegExp][] = [
    [['attest', '--key', key, '--predicate', '', `oci:${work}/none`], /^Error: --predicate is empty; give the predicate file, or - for stdin\n$/],
    [['attest-blob', '--key', key, '--predicate', '', blob], /^Error: --predicate is empty; /],
    [['attest-blob', '--key', key, '--statement', '', blob], /^Error: --statement is empty; /],
    [['attach', 'sbom', '--sbom', '', `oci:${work}/none`], /^Error: an empty path was given for the SBOM file; give a file name, or - for stdin\n$/],
    [['attach', 'attestation', '--attestation', '', `oci:${work}/none`], /^Error: an empty path was given for the attestation file; /],
  ];
  for (const [args, re] of cases) {
    const r = await seal(args);
    oneLine(r, 2, re, args.join(' '));
    assert.doesNotMatch(r.stderr, / {2}/);
  }
});

test('keyless signing with a cached TUF trust that does not verify: the hint names what helps when signing', async () => {
  const cache = path.join(work, 'tuf-broken');
  const mirror = 'https://tuf.example.com';
  await mkdir(mirrorDir(cache, mirror), { recursive: true });
  await writeFile(path.join(cache, 'remote.json'), JSON.stringify({ mirror }));
  await writeFile(path.join(mirrorDir(cache, mirror), 'root.json'), '{"signed":{},"signatures":[]}');
  const r = await runInProcess(['sign-blob', '--identity-token', 'not.a.jwt', '--bundle', path.join(work, 'out.json'), blob], {
    cwd: work,
    env: { SEAL_TUF_CACHE: cache, HOME: '/nonexistent', SIGSTORE_ID_TOKEN: undefined },
  });
  oneLine(
    r,
    3,
    /^Error: the cached TUF trust in .* does not verify: .*; run `seal trusted-root update` \(or `seal initialize`\) to fetch it again, or sign without it: --signing-config FILE, or --fulcio-url and --rekor-url/,
    'sign-blob keyless',
  );
  assert.doesNotMatch(r.stderr, /--trusted-root/);
});

test('--insecure-skip-verify: --help says it changes nothing and what seal checks instead; a run with it signs', async () => {
  for (const cmd of ['sign', 'sign-blob', 'attest', 'attest-blob']) {
    const help = await seal([cmd, '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(
      help.stdout.replace(/\s+/g, ' '),
      /--insecure-skip-verify cosign compatibility: changes nothing in seal\. cosign checks the SCT .* checked when the signature is verified/,
      cmd,
    );
  }
  const r = await seal(['sign-blob', '--key', key, '--insecure-skip-verify', blob]);
  assert.equal(r.code, 0, r.stderr);
});
