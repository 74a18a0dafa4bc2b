// Whole-process time of a keyless `seal sign-blob` (Fulcio + Rekor v1 + TSA of the local
// Sigstore stack) for each place the identity token comes from, against the same command with
// the token given on the command line (the reference, in the same run, interleaved):
// SIGSTORE_ID_TOKEN, the token file, the GitHub Actions token service (a local server speaking
// its protocol), and the browser and device logins at a real OpenID Provider (npm oidc-provider)
// completed by the test harness's scripted browser, seal on a pseudo-terminal (`script`).
//   node bench/keyless-flows.ts [--runs 7] [--json]
// Set SEAL_FROM_SOURCE=1 to measure src/ rather than dist/.
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { startOidcProvider } from '../test/harness/oidc-provider.ts';
import { startSigstoreStack } from '../test/harness/sigstore-stack.ts';
import { runCli } from '../test/helpers/run-cli.ts';
import { runCliOnTerminal } from '../test/helpers/terminal.ts';
import { parseArgs } from './registry-common.ts';

const args = parseArgs(process.argv.slice(2));
const RUNS = Math.max(1, Number(args.get('runs') ?? 7));
const stack = await startSigstoreStack();
const op = await startOidcProvider();
stack.trustIssuer(op.issuer, op.publicKeys);
const blob = path.join(stack.dir, 'blob.txt');
await writeFile(blob, 'benchmark\n');
const tokenFile = path.join(stack.dir, 'oidc-token');
const gh = http.createServer((_req, res) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: stack.mintToken('gha@example.com') })),
);
await new Promise<void>((resolve) => gh.listen(0, '127.0.0.1', () => resolve()));
const ghUrl = `http://127.0.0.1:${(gh.address() as AddressInfo).port}/token?api-version=2.0`;

const base = {
  SIGSTORE_ID_TOKEN: undefined,
  ACTIONS_ID_TOKEN_REQUEST_URL: undefined,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: undefined,
  SEAL_OIDC_TOKEN_FILE: '/nonexistent',
  SEAL_TUF_CACHE: '/nonexistent',
  DISPLAY: undefined,
};
let n = 0;
const signArgs = () => [
  'sign-blob',
  '--fulcio-url',
  stack.fulcioUrl,
  '--rekor-url',
  stack.rekorUrl,
  '--timestamp-server-url',
  stack.tsaUrl,
  '--yes',
  '--bundle',
  path.join(stack.dir, `b${n++}.json`),
  blob,
];
const check = (r: { code: number; stdout: string; stderr: string }, name: string) => {
  if (r.code !== 0) throw new Error(`${name}: exit ${r.code}: ${r.stdout}${r.stderr}`);
};
const login = (flow: string[]) => async () => {
  let browsing: Promise<string> | undefined;
  const r = await runCliOnTerminal([...signArgs(), '--oidc-issuer', op.issuer, ...flow], {
    env: base,
    watch: (out) => {
      const m = /(http:\/\/127\.0\.0\.1:\d+\/(?:auth|device)\?\S+)/.exec(out);
      if (m && !browsing) browsing = op.browse(m[1]!, 'bench@example.com');
    },
  });
  await browsing;
  return r;
};

const flows: [string, () => Promise<{ code: number; stdout: string; stderr: string }>][] = [
  ['--identity-token (reference)', () => runCli([...signArgs(), '--identity-token', stack.mintToken('ref@example.com')], { env: base })],
  ['SIGSTORE_ID_TOKEN', () => runCli(signArgs(), { env: { ...base, SIGSTORE_ID_TOKEN: stack.mintToken('env@example.com') } })],
  [
    'token file',
    async () => {
      await writeFile(tokenFile, stack.mintToken('file@example.com'));
      return runCli(signArgs(), { env: { ...base, SEAL_OIDC_TOKEN_FILE: tokenFile } });
    },
  ],
  ['GitHub Actions token service', () => runCli(signArgs(), { env: { ...base, ACTIONS_ID_TOKEN_REQUEST_URL: ghUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x' } })],
  ['browser login (pty)', login([])],
  ['device login (pty, interval 1 s)', login(['--fulcio-auth-flow', 'device'])],
  [
    '--identity-token on a pty (script overhead)',
    () => runCliOnTerminal([...signArgs(), '--identity-token', stack.mintToken('ref@example.com')], { env: base }),
  ],
];

const times = new Map<string, number[]>(flows.map(([name]) => [name, []]));
for (let run = 0; run < RUNS; run++) {
  for (const [name, f] of flows) {
    const t0 = performance.now();
    check(await f(), name);
    times.get(name)!.push(performance.now() - t0);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ref = median(times.get(flows[0]![0])!);
const rows = flows.map(([name]) => ({ flow: name, medianMs: Math.round(median(times.get(name)!)), ratio: +(median(times.get(name)!) / ref).toFixed(2) }));
if (args.has('json')) console.log(JSON.stringify(rows, null, 2));
else for (const r of rows) console.log(`${r.flow.padEnd(46)} ${String(r.medianMs).padStart(6)} ms  ${r.ratio.toFixed(2)}x`);
gh.close();
await op.stop();
await stack.stop();
