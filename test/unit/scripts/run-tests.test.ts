// scripts/run-tests.mjs: its closing line counts passed, failed, skipped and todo tests, from
// node's own TAP totals, over every batch. Runs it on two small test files written here.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';

const runTests = new URL('../../../scripts/run-tests.mjs', import.meta.url).pathname;
const dir = await mkdtemp(path.join(tmpdir(), 'seal-run-tests-'));
after(() => rm(dir, { recursive: true, force: true }));

async function run(files: Record<string, string>): Promise<{ code: number; stdout: string }> {
  const paths: string[] = [];
  for (const [name, body] of Object.entries(files)) {
    const file = path.join(dir, name);
    await writeFile(file, `import { test } from 'node:test';\n${body}\n`);
    paths.push(file);
  }
  try {
    // As under `node --test` (NODE_TEST_CONTEXT set): run-tests.mjs must not hand it to its own
    // `node --test` children, which would then report to a parent runner instead of printing TAP.
    const env = { ...process.env, NODE_TEST_CONTEXT: 'child-v8' };
    const { stdout } = await promisify(execFile)(process.execPath, [runTests, '--alone', ...paths], { encoding: 'utf8', env });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

const lastLine = (out: string) => out.trimEnd().split('\n').at(-1);

test('the closing line counts todo tests apart, a failing todo test failing nothing', async () => {
  const r = await run({
    'a.test.ts': "test('passes', () => {});\ntest('later', { todo: true }, () => {});\ntest.skip('skipped', () => {});",
    'b.test.ts': "test('passes too', () => {});\ntest.todo('fails, but todo', () => { throw new Error('not yet'); });",
  });
  assert.equal(r.code, 0, r.stdout);
  assert.equal(lastLine(r.stdout), '2 passed, 0 failed, 1 skipped, 2 todo');
});

test('a failing test is counted and fails the run; the todo count stays', async () => {
  const r = await run({ 'c.test.ts': "test('breaks', () => { throw new Error('no'); });\ntest.todo('someday');" });
  assert.equal(r.code, 1, r.stdout);
  assert.equal(lastLine(r.stdout), '0 passed, 1 failed, 0 skipped, 1 todo');
});
