import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EXIT, exitCodeFor } from '../../../src/cli/exit-codes.ts';
import { SealError } from '../../../src/errors.ts';

test('docs/exit-codes.md lists every exit code the CLI uses', () => {
  const doc = readFileSync(new URL('../../../docs/exit-codes.md', import.meta.url), 'utf8');
  for (const [name, code] of Object.entries(EXIT)) {
    assert.match(doc, new RegExp(`^\\| ${code} \\| \`${name}\` \\|`, 'm'), `${name}=${code} missing from docs/exit-codes.md`);
  }
});

test('errors map to their documented exit codes', () => {
  assert.equal(exitCodeFor(new SealError('usage', 'x')), EXIT.USAGE);
  assert.equal(exitCodeFor(new SealError('verification', 'x')), EXIT.VERIFICATION);
  assert.equal(exitCodeFor(new SealError('no-signatures', 'x')), 10);
  assert.equal(exitCodeFor(new SealError('no-matching', 'x')), 12);
  assert.equal(exitCodeFor(new Error('plain')), EXIT.ERROR);
});
