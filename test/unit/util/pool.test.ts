import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSealError } from '../../../src/errors.ts';
import { concurrencyLimit, mapPool, mapPoolAhead } from '../../../src/util/pool.ts';

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

test('mapPoolAhead: the next items are prepared while the slots are busy, at most `limit` ahead, in order', async () => {
  const events: string[] = [];
  let preparing = 0;
  let mostPreparing = 0;
  const out = await mapPoolAhead(
    [0, 1, 2, 3, 4, 5],
    2,
    async (i) => {
      events.push(`prepare ${i}`);
      mostPreparing = Math.max(mostPreparing, ++preparing);
      await new Promise((r) => setTimeout(r, 5));
      preparing--;
      return i * 10;
    },
    async (p, i) => {
      events.push(`start ${i}`);
      await new Promise((r) => setTimeout(r, 20));
      events.push(`end ${i}`);
      return p + i;
    },
  );
  assert.deepEqual(out, [0, 11, 22, 33, 44, 55]);
  // Item 2 is prepared while items 0 and 1 hold the two slots, before a slot is free for it.
  assert.ok(events.indexOf('prepare 2') < events.indexOf('end 0'), events.join(', '));
  assert.ok(events.indexOf('prepare 3') < events.indexOf('end 1'), events.join(', '));
  assert.equal(events.filter((e) => e.startsWith('prepare')).length, 6, 'each item prepared once');
  assert.ok(mostPreparing <= 4, `at most limit items plus limit ahead prepared at once (${mostPreparing})`);
});

test('mapPoolAhead: a failed prepare fails its item; prepares of items that never start are awaited, not reported', async () => {
  const settled: number[] = [];
  await assert.rejects(
    mapPoolAhead(
      [0, 1, 2, 3, 4],
      2,
      async (i) => {
        await new Promise((r) => setTimeout(r, i === 3 ? 40 : 1));
        settled.push(i);
        if (i === 1) throw new Error('cannot resolve item 1');
        if (i === 3) throw new Error('item 3 never starts; its failure is not the run failure');
        return i;
      },
      async (p) => p,
    ),
    /cannot resolve item 1/,
  );
  assert.ok(settled.includes(3), 'the prepare of item 3 (started ahead) had settled before the rejection');
});

test('concurrencyLimit: a whole number from 1, 4 when not given, else a usage error (NaN would start no worker)', () => {
  assert.equal(concurrencyLimit(undefined), 4);
  assert.equal(concurrencyLimit(1), 1);
  assert.equal(concurrencyLimit(64), 64);
  for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(
      () => concurrencyLimit(bad),
      (err: unknown) => isSealError(err, 'usage') && /^invalid --concurrency "[^"]+": use a whole number from 1$/.test(err.message),
    );
  }
});
