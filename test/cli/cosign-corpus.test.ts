// Real cosign command lines from public repositories (test/fixtures/cosign-cli/corpus.tsv, with
// their provenance), replayed with `seal` in place of `cosign` against a registry started here,
// keys, images and files replaced by local ones. Each works, or fails only because it needs an
// OIDC token (keyless) or a public Sigstore service; none fails on its arguments.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeImageLayout, startRegistry, type RunningRegistry } from '../harness/index.ts';
import { runInProcess } from '../helpers/in-process.ts';
import { runCli, type CliResult } from '../helpers/run-cli.ts';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
const PASSWORD = 'corpus password';

interface Line {
  id: string;
  repository: string;
  path: string;
  original: string;
  replay: string;
  expect: 'ok' | 'oidc' | 'network';
}

const corpus: Line[] = readFileSync(`${FIXTURES}cosign-cli/corpus.tsv`, 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#') && !l.startsWith('id\t'))
  .map((l) => {
    const [id, repository, p, , original, replay, expect] = l.split('\t');
    return { id: id!, repository: repository!, path: p!, original: original!, replay: replay!, expect: expect as Line['expect'] };
  });

let reg: RunningRegistry;
let work: string;
const vars: Record<string, string> = {};
// No ambient credentials: keyless lines must fail for want of a token, as they would outside CI.
const baseEnv: Record<string, string | undefined> = {
  SIGSTORE_ID_TOKEN: undefined,
  ACTIONS_ID_TOKEN_REQUEST_URL: undefined,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: undefined,
  GITHUB_ACTIONS: undefined,
  SEAL_PASSWORD: undefined,
  COSIGN_PASSWORD: PASSWORD,
};

const seal = (args: string[], env: Record<string, string | undefined> = {}, input?: string): Promise<CliResult> =>
  runInProcess(args, { env: { ...baseEnv, ...env }, cwd: work, ...(input === undefined ? {} : { input }) });

async function pushImage(name: string): Promise<{ ref: string; digest: string }> {
  const img = await makeImageLayout(path.join(work, `layout-${name}`));
  const ref = `${reg.host}/${name}:v1`;
  const r = await seal(['copy', `oci:${img.dir}:latest`, ref]);
  assert.equal(r.code, 0, r.stderr);
  return { ref, digest: img.digest };
}

function ok(r: CliResult, what: string): void {
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'seal-corpus-'));
  reg = await startRegistry('plain');
  baseEnv.HOME = work;
  baseEnv.DOCKER_CONFIG = path.join(work, 'docker');
  ok(await seal(['generate-key-pair', '--output-key-prefix', 'cosign']), 'generate-key-pair');
  const app = await pushImage('app');
  const legacy = await pushImage('legacy');
  await pushImage('loaded');
  Object.assign(vars, {
    KEY: path.join(work, 'cosign.key'),
    PUB: path.join(work, 'cosign.pub'),
    REGISTRY: reg.host,
    IMAGE: app.ref,
    IMAGE2: legacy.ref,
    IMAGE3: `${reg.host}/loaded:v1`,
    DIGEST_REF: `${reg.host}/app@${app.digest}`,
    FILE: path.join(work, 'checksums.txt'),
    GRYPE: `${FIXTURES}grype/alpine-one-high.json`,
    TRIVY: `${FIXTURES}trivy/python-debian.json`,
    FULCIO_CERT: `${FIXTURES}cosign/certs/oci-attestation-fulcio-leaf.crt.pem`,
    TRUSTED_ROOT: `${FIXTURES}cosign/trust/trusted_root_pgi.json`,
    WORK: work,
    SAVED: path.join(work, 'saved'),
    BUNDLE: path.join(work, 'artifact.sigstore.json'),
    SIG: path.join(work, 'checksums.txt.sig'),
    ENVELOPE: path.join(work, 'envelope.json'),
    PASSWORD_NO_NEWLINE: PASSWORD,
  });
  await writeFile(vars.FILE!, 'e3b0c442  release_linux_amd64.tar.gz\n');
  // What the lines expect to exist already: a signature, a bundle, an envelope about the image,
  // an SBOM, a signed and attested image saved to disk.
  ok(await seal(['sign-blob', '--key', vars.KEY!, '--output-signature', vars.SIG!, vars.FILE!]), 'sign-blob');
  vars.SIG_B64_LITERAL = (await readFile(vars.SIG!, 'utf8')).trim();
  ok(await seal(['sign-blob', '--key', vars.KEY!, '--bundle', vars.BUNDLE!, vars.FILE!]), 'sign-blob --bundle');
  ok(
    await seal([
      'attest-blob',
      '--key',
      vars.KEY!,
      '--predicate',
      vars.GRYPE!,
      '--type',
      'vuln',
      '--hash',
      app.digest.slice(7),
      '--output-signature',
      vars.ENVELOPE!,
    ]),
    'attest-blob envelope',
  );
  ok(await seal(['attach', 'sbom', '--sbom', `${FIXTURES}cosign/sbom/${sbomFixture()}`, app.ref]), 'attach sbom');
  ok(await seal(['sign', '--key', vars.KEY!, app.ref]), 'sign');
  ok(await seal(['attest', '--key', vars.KEY!, '--predicate', vars.GRYPE!, '--type', 'vuln', app.ref]), 'attest');
  ok(await seal(['save', '--dir', vars.SAVED!, app.ref]), 'save');
  ok(await seal(['sign', '--key', vars.KEY!, legacy.ref]), 'sign legacy');
  vars.COSIGN_PRIVATE_KEY = await readFile(vars.KEY!, 'utf8');
  vars.COSIGN_PUBLIC_KEY = await readFile(vars.PUB!, 'utf8');
});

after(async () => {
  await reg?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

function sbomFixture(): string {
  const dir = `${FIXTURES}cosign/sbom/`;
  const { readdirSync } = process.getBuiltinModule('node:fs');
  const json = readdirSync(dir).filter((f: string) => f.endsWith('.json'));
  assert.ok(json.length > 0, `an SBOM fixture in ${dir}`);
  return json[0]!;
}

/** The replay line as argv (double quotes group words), with its env prefix, stdin and stdout file. */
function parse(replay: string): { env: Record<string, string>; args: string[]; input?: string; stdoutFile?: string } {
  let text = replay;
  let input: string | undefined;
  let stdoutFile: string | undefined;
  const stdin = /\s<<<\s(.*)$/.exec(text);
  if (stdin) {
    input = subst(stdin[1]!);
    text = text.slice(0, stdin.index);
  }
  const out = /\s>\s(\S+)$/.exec(text);
  if (out) {
    stdoutFile = subst(out[1]!);
    text = text.slice(0, out.index);
  }
  const words = [...text.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
  const env: Record<string, string> = {};
  while (words.length && /^[A-Z_]+=/.test(words[0]!)) {
    const [k, ...v] = words.shift()!.split('=');
    env[k!] = v.join('=');
  }
  return { env, args: words.map(subst), ...(input === undefined ? {} : { input }), ...(stdoutFile ? { stdoutFile } : {}) };
}

const subst = (word: string): string => word.replace(/\$([A-Z_0-9]+)/g, (m, name: string) => vars[name] ?? m);

test('the corpus holds at least 40 real lines', () => {
  assert.ok(corpus.length >= 40, `${corpus.length} lines`);
});

// One test per line (named by its id and source), so each has the per-test time limit to itself
// and a failure names its line; in corpus order, as some lines use what earlier ones made.
for (const line of corpus) {
  test(`${line.id} (${line.repository} ${line.path}), expect ${line.expect}: ${line.original}`, async () => {
    const { env, args, input, stdoutFile } = parse(line.replay);
    const keyEnv = { COSIGN_PRIVATE_KEY: vars.COSIGN_PRIVATE_KEY, COSIGN_PUBLIC_KEY: vars.COSIGN_PUBLIC_KEY };
    // A password on stdin (echo -n $PASS | cosign …) means no COSIGN_PASSWORD in the environment.
    const pwEnv = input === PASSWORD ? { COSIGN_PASSWORD: undefined } : {};
    // clean runs as its own process: it must exit when done, not when a keep-alive socket times out.
    const r =
      args[0] === 'clean'
        ? await runCli(args, { env: { ...baseEnv, ...keyEnv, ...env, ...pwEnv }, input: input ?? '', cwd: work, timeoutMs: 20_000 })
        : await seal(args, { ...keyEnv, ...env, ...pwEnv }, input);
    if (stdoutFile) await writeFile(stdoutFile, r.stdout);
    const problems: string[] = [];
    if (/unknown argument|unknown flag|not enough non-option/i.test(r.stderr)) problems.push('failed on its arguments');
    if (line.expect === 'ok' && r.code !== 0) problems.push(`exit ${r.code}`);
    if (line.expect === 'oidc') {
      const tokenMissing = r.code === 2 && /identity token|OIDC|id[_ -]?token/i.test(r.stderr);
      const noKeylessSignature = [3, 10, 12, 13].includes(r.code); // 13: cosign's "no certificate" (key-signed)
      if (!tokenMissing && !noKeylessSignature) problems.push(`exit ${r.code}, not for want of an OIDC token`);
    }
    if (line.expect === 'network' && !(r.code === 4 || (r.code === 3 && /Rekor/.test(r.stderr)))) {
      problems.push(`exit ${r.code}, not for want of the network`);
    }
    assert.deepEqual(problems, [], `${line.replay}\n${r.stderr.trim().split('\n').pop()}`);
  });
}
