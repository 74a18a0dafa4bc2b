// seal as a process with stdout and stderr on pipes (how scripts and CI run it): Node's net
// streams are not created for them (src/cli/stdio.ts; ~5 % of a small verify), the output is the
// same, and a reader that goes away before the result is written ends the run quietly.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCommand, SEAL_BIN, SEAL_RUN_ENV } from '../helpers/run-cli.ts';
import { workspace } from '../helpers/workspace.ts';

const { dir, key, pub } = await workspace('seal-stdio-pipes-');
const file = path.join(dir, 'file.txt');
writeFileSync(file, 'a release file\n');
execFileSync('openssl', ['dgst', '-sha256', '-sign', key, '-out', path.join(dir, 'file.sig'), file]);

describe('stdout and stderr on pipes', () => {
  it('a verify writes its lines without loading node:net', async () => {
    const loaded = path.join(dir, 'loaded.txt');
    const preload = path.join(dir, 'record-modules.cjs');
    writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(loaded)}, process.moduleLoadList.join('\\n')));\n`);
    const r = await runCommand(process.execPath, ['-r', preload, SEAL_BIN, 'verify-blob', '--key', pub, '--signature', path.join(dir, 'file.sig'), file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, 'Verified OK\n');
    const modules = readFileSync(loaded, 'utf8').split('\n');
    assert.ok(modules.includes('NativeModule crypto'), 'the record is of the run');
    assert.ok(!modules.includes('NativeModule net'), 'node:net loaded');
  });

  it('a result written after its reader went away ends the run with 0 and nothing on stderr', async () => {
    const child = spawn(process.execPath, [SEAL_BIN, 'public-key', '--key', key], {
      env: { ...process.env, ...SEAL_RUN_ENV, NO_COLOR: '1', SEAL_PASSWORD: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy(); // before seal has started: its write meets a closed pipe (EPIPE)
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });
});
