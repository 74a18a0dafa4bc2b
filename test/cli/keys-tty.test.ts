// The password prompt on a real terminal: seal runs under a pseudo-terminal (python3's pty module)
// and the password is typed as soon as the prompt appears. Nothing typed may be echoed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decryptPrivateKey } from '../../src/crypto/encrypted-key.ts';
import { SEAL_RUN_ENV } from '../helpers/run-cli.ts';

const SEAL = fileURLToPath(new URL('../../bin/seal.js', import.meta.url));
const havePython = spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status === 0;
const dir = mkdtempSync(path.join(tmpdir(), 'seal-tty-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Types each answer right after the next prompt shows, then prints everything the terminal showed.
const DRIVER = String.raw`
import json, os, pty, select, signal, sys, time
node, seal, answers = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
pid, fd = pty.fork()
if pid == 0:
    os.execv(node, [node, seal, 'generate-key-pair', '--output-key-prefix', 'tty'])
out = b''
def pump(until, timeout=60):
    global out
    end = time.time() + timeout
    while not until() and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return False
            if not chunk:
                return False
            out += chunk
    return until()
for i, a in enumerate(answers):
    if not pump(lambda: out.count(b'Enter password') > i):
        break
    os.write(fd, a.encode() + b'\r')
pump(lambda: False, 60)  # to EOF (seal exits) or the timeout
code = None
for _ in range(100):
    p, status = os.waitpid(pid, os.WNOHANG)
    if p:
        code = os.WEXITSTATUS(status)
        break
    time.sleep(0.1)
if code is None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    code = -1
sys.stdout.write(json.dumps({'out': out.decode(errors='replace'), 'code': code}))
`;

function runTty(answers: string[]): { out: string; code: number } {
  const env: Record<string, string | undefined> = { ...process.env, ...SEAL_RUN_ENV, NO_COLOR: '1' };
  delete env.SEAL_PASSWORD;
  delete env.COSIGN_PASSWORD;
  const r = spawnSync('python3', ['-c', DRIVER, process.execPath, SEAL, JSON.stringify(answers)], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('generate-key-pair on a terminal: asked twice, nothing echoed, the key decrypts with what was typed', (t) => {
  if (!havePython) return t.skip('python3 with pty not available: skipped');
  const r = runTty(['typed secret', 'typed secret']);
  assert.equal(r.code, 0, r.out);
  assert.ok(!r.out.includes('typed secret'), `echoed: ${JSON.stringify(r.out)}`);
  assert.match(r.out, /Enter password for private key tty\.key: \r?\n/);
  assert.match(r.out, /Enter password for private key tty\.key again: /);
  decryptPrivateKey(readFileSync(path.join(dir, 'tty.key'), 'utf8'), new TextEncoder().encode('typed secret'));
});

test('two different answers: "passwords do not match", exit 1, nothing written', (t) => {
  if (!havePython) return t.skip('python3 with pty not available: skipped');
  rmSync(path.join(dir, 'tty.key'), { force: true });
  rmSync(path.join(dir, 'tty.pub'), { force: true });
  const r = runTty(['one', 'two']);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /Error: passwords do not match/);
  assert.ok(!r.out.includes('one') && !r.out.includes('two'));
  assert.throws(() => readFileSync(path.join(dir, 'tty.key')));
});
