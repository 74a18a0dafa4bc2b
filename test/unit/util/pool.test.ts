import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mapPool } from '../../../src/util/pool.ts';

test('results keep the input order, with at most `limit` running at once', async () => {
  let running = 0;
  let most = 0;
  const out = await mapPool([30, 10, 20, 5, 15], 2, async (ms, i) => {
    most = Math.max(most, ++running);
    await new Promise((r) => setTimeout(r, ms));
    running--;
    return i;
  });
  assert.deepEqual(out, [0, 1, 2, 3, 4]);
  assert.equal(most, 2);
});

test('after a failure no item starts, and the rejection waits for the items already running', async () => {
  const started: number[] = [];
  const finished: number[] = [];
  await assert.rejects(
    mapPool([0, 1, 2, 3, 4, 5], 3, async (i) => {
      started.push(i);
      if (i === 1) throw new Error('item 1 failed');
      await new Promise((r) => setTimeout(r, 30));
      finished.push(i);
    }),
    /item 1 failed/,
  );
  assert.deepEqual(started, [0, 1, 2], 'items 0-2 had started when 1 failed; nothing after');
  assert.deepEqual(finished.sort(), [0, 2], 'the running items finished before the rejection');
});
