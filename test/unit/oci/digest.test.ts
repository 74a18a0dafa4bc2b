import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isSealError } from '../../../src/errors.ts';
import { digestFile, parseDigest, readAll, sha256Digest, verifyDigest, verifyingStream } from '../../../src/oci/digest.ts';

const data = new TextEncoder().encode('hello seal');
const good = sha256Digest(data);
const sha512 = 'sha512:' + createHash('sha512').update(data).digest('hex');

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield new TextEncoder().encode(p);
}

async function drain(it: AsyncIterable<Uint8Array>): Promise<string> {
  let s = '';
  for await (const c of it) s += Buffer.from(c).toString();
  return s;
}

describe('parseDigest', () => {
  it('accepts sha256 and sha512 of the right length', () => {
    assert.deepEqual(parseDigest(good), { algorithm: 'sha256', hex: good.slice(7) });
    assert.equal(parseDigest(sha512)?.algorithm, 'sha512');
  });
  for (const bad of ['sha256:abc', 'md5:' + 'a'.repeat(32), 'sha256:' + 'A'.repeat(64), 'sha256' + 'a'.repeat(64), '', 'sha512:' + 'a'.repeat(64)]) {
    it(`refuses ${JSON.stringify(bad).slice(0, 30)}`, () => assert.equal(parseDigest(bad), null));
  }
});

describe('verifyDigest', () => {
  it('passes matching bytes, in either algorithm', () => {
    verifyDigest(data, good, { what: 'x' });
    verifyDigest(data, sha512, { what: 'x' });
  });
  it('refuses altered bytes with the kind the caller asked for', () => {
    assert.throws(
      () => verifyDigest(new TextEncoder().encode('hello seaL'), good, { what: 'blob X', kind: 'registry' }),
      (e: unknown) => isSealError(e, 'registry') && e.code === 'DIGEST_MISMATCH' && /blob X: content digest is sha256:.*expected/.test(e.message),
    );
  });
  it('refuses a malformed expected digest', () => {
    assert.throws(
      () => verifyDigest(data, 'sha256:zz', { what: 'x' }),
      (e: unknown) => isSealError(e) && e.code === 'DIGEST_INVALID',
    );
  });
});

describe('verifyingStream', () => {
  it('passes every chunk through when digest and size match', async () => {
    assert.equal(await drain(verifyingStream(chunks('hello', ' ', 'seal'), good, { what: 'b', size: data.length })), 'hello seal');
  });
  it('errors at the end on a digest mismatch', async () => {
    await assert.rejects(
      drain(verifyingStream(chunks('hello', ' ', 'sea1'), good, { what: 'b' })),
      (e: unknown) => isSealError(e, 'verification') && e.code === 'DIGEST_MISMATCH',
    );
  });
  it('errors on a truncated stream when the size is known', async () => {
    await assert.rejects(
      drain(verifyingStream(chunks('hello'), good, { what: 'b', size: data.length, kind: 'registry' })),
      (e: unknown) => isSealError(e, 'registry') && e.code === 'SIZE_MISMATCH' && /truncated/.test(e.message),
    );
  });
  it('stops as soon as a stream runs past the expected size', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        pulled++;
        yield new Uint8Array(1024);
      }
    }
    await assert.rejects(drain(verifyingStream(endless(), good, { what: 'b', size: 4096 })), (e: unknown) => isSealError(e) && e.code === 'SIZE_MISMATCH');
    assert.ok(pulled <= 5);
  });
});

describe('readAll and digestFile', () => {
  it('refuses more than the limit', async () => {
    await assert.rejects(
      readAll(chunks('abc', 'def'), 5, () => new Error('too big')),
      /too big/,
    );
    assert.equal(Buffer.from(await readAll(chunks('abc', 'de'), 5, () => new Error('x'))).toString(), 'abcde');
  });
  it('hashes a file as a stream', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'seal-digest-'));
    try {
      const f = join(dir, 'f');
      await writeFile(f, data);
      assert.deepEqual(await digestFile(f), { digest: good, size: data.length });
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
