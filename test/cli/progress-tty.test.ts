// Progress bars end to end: the real CLI under a pseudo-terminal (util-linux `script`), with
// stdout redirected to a file. The terminal shows the bar, redrawn with \r and erased at the
// end; the redirected stdout holds the result alone. SEAL_PROGRESS=always draws from the first
// byte, so nothing here depends on how fast the machine hashes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli, SEAL_RUN_ENV } from '../helpers/run-cli.ts';

const SEAL = fileURLToPath(new URL('../../bin/seal.js', import.meta.url));
const haveScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = haveScript ? false : 'util-linux `script` not installed (apt-get install -y bsdutils): pseudo-terminal tests SKIPPED';
if (skip) console.log(`# SKIPPED: ${skip}`);

const SIZE = 24 * 1024 * 1024;
let dir: string;

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'seal-progress-tty-'));
  for (const args of [
    ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'key.pem'],
    ['pkey', '-in', 'key.pem', '-pubout', '-out', 'key.pub'],
  ]) {
    assert.equal(spawnSync('openssl', args, { cwd: dir }).status, 0, `openssl ${args.join(' ')}`);
  }
  const block = Buffer.alloc(1 << 20);
  const big = Buffer.concat(Array.from({ length: SIZE >> 20 }, (_, i) => (block.fill(i), Buffer.from(block))));
  writeFileSync(path.join(dir, 'big.bin'), big);
  writeFileSync(path.join(dir, 'small.txt'), 'hello\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `seal ARGS > out` on a pseudo-terminal; returns what the terminal showed and the exit code. */
function onTerminal(args: string, env: Record<string, string> = {}): { terminal: string; code: number | null } {
  const r = spawnSync('script', ['-qfec', `"${process.execPath}" "${SEAL}" ${args}`, '/dev/null'], {
    cwd: dir,
    env: { ...process.env, ...SEAL_RUN_ENV, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { terminal: r.stdout, code: r.status };
}

/** What the terminal's last line shows after every \r overwrote it. */
function lastLine(terminal: string): string {
  const line: string[] = [];
  let col = 0;
  for (const ch of terminal.split('\n').at(-1)!) {
    if (ch === '\r') col = 0;
    else line[col++] = ch;
  }
  return line.join('').trim();
}

describe('progress on a terminal', { skip }, () => {
  it('sign-blob: a bar on the terminal, erased at the end; stdout (redirected) holds the signature alone', () => {
    const r = onTerminal('sign-blob --key key.pem big.bin > out.sig', { SEAL_PROGRESS: 'always' });
    assert.equal(r.code, 0, r.terminal);
    assert.match(r.terminal, /\rSigning big\.bin  \[=*> *\]  [\d.]+ [KM]iB \/ 24\.0 MiB  \d+%/);
    assert.doesNotMatch(r.terminal, /\x1b/, 'NO_COLOR: no escape codes');
    assert.ok(!r.terminal.includes('\n'), 'no new line: drawn in place');
    assert.equal(lastLine(r.terminal), '', 'the line is erased at the end');
    const sig = readFileSync(path.join(dir, 'out.sig'), 'utf8');
    assert.match(sig, /^[A-Za-z0-9+/]+=*\n$/, `stdout: ${JSON.stringify(sig)}`);
  });

  it('verify-blob: the bar is erased before "Verified OK"', () => {
    const r = onTerminal('verify-blob --key key.pub --signature out.sig big.bin > out.txt', { SEAL_PROGRESS: 'always' });
    assert.equal(r.code, 0, r.terminal);
    assert.match(r.terminal, /\rVerifying big\.bin  \[/);
    assert.equal(lastLine(r.terminal.replace(/\r?\n$/, '')), 'Verified OK');
    assert.equal(readFileSync(path.join(dir, 'out.txt'), 'utf8'), '');
  });

  it('draws nothing for a file read in one go (done before the 300 ms delay)', () => {
    const r = onTerminal('sign-blob --key key.pem small.txt > small.sig');
    assert.equal(r.code, 0, r.terminal);
    assert.equal(r.terminal, '');
  });

  it('copy: the blob transfers of a layout-to-layout copy are drawn and erased; -o json stays clean', async () => {
    const { makeImageLayout } = await import('../harness/oci-layout.ts');
    // Over the 32 MiB in-memory limit, so the layer streams (a small local blob is one write: no bar).
    await makeImageLayout(path.join(dir, 'src-layout'), { extraBytes: 40 * 1024 * 1024 });
    const r = onTerminal('copy -o json oci:src-layout:latest oci:dst-layout:latest > copy.json', { SEAL_PROGRESS: 'always' });
    assert.equal(r.code, 0, r.terminal);
    assert.match(r.terminal, /\r(Downloading|Uploading) sha256:[0-9a-f]{12}  \[/);
    assert.match(r.terminal, /Copied oci:src-layout:latest to /, 'messages still shown');
    assert.equal(JSON.parse(readFileSync(path.join(dir, 'copy.json'), 'utf8')).image.blobsCopied >= 2, true);
  });

  it('SEAL_PROGRESS=off: nothing drawn', () => {
    const r = onTerminal('sign-blob --key key.pem big.bin > off.sig', { SEAL_PROGRESS: 'off' });
    assert.equal(r.code, 0, r.terminal);
    assert.equal(r.terminal, '');
  });
});

describe('progress when stderr is not a terminal', () => {
  it('never draws, even with SEAL_PROGRESS=always', async () => {
    const r = await runCli(['sign-blob', '--key', 'key.pem', 'big.bin'], { cwd: dir, env: { SEAL_PROGRESS: 'always' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^[A-Za-z0-9+/]+=*\n$/);
  });
});
