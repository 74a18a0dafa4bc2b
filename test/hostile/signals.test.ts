// Issue 9 item 11: SIGTERM stops every long-running command within 2 s with exit 130, through
// the abort of the request in flight, the retry wait or the settle wait (not the 1.5 s safety
// net in bin/seal.js, whose message must not appear), and leaves the store as it was: what an
// earlier command wrote still verifies. Real child processes against the hostile registry, which
// stalls (never answers) the request each case interrupts; the signal is sent when that request
// arrives, so nothing here waits on a clock.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stall, startHostileRegistry, trickle, type HostileRegistry } from '../harness/hostile-registry.ts';
import { runSeal, startSeal, type SealRun } from '../harness/seal-process.ts';
import { workspace } from '../helpers/workspace.ts';

let reg: HostileRegistry;
const {
  dir,
  keys: { k1, k2 },
} = await workspace('seal-hostile-sig-', ['k1', 'k2']);
let predicate: string;

before(async () => {
  predicate = join(dir, 'predicate.json');
  writeFileSync(predicate, JSON.stringify({ scanner: 'none', result: 'ok' }));
  reg = await startHostileRegistry();
});
after(async () => {
  await reg?.stop();
});

const env = () => ({ HOME: dir, DOCKER_CONFIG: join(dir, 'docker') });

/** Starts seal, sends SIGTERM when `at` arrives at the registry, returns the run. */
async function interruptAt(args: string[], at: { method?: string; path: RegExp }, signal: NodeJS.Signals = 'SIGTERM'): Promise<SealRun> {
  const arrived = reg.waitFor(at);
  const p = startSeal(args, { env: env(), killAfterMs: 60_000 });
  const first = await Promise.race([arrived.then(() => 'arrived' as const), p.done.then(() => 'exited' as const)]);
  if (first === 'exited') assert.fail(`seal exited before ${at.path}: ${(await p.done).stderr}`);
  p.kill(signal);
  const r = await p.done;
  console.log(`${args[0]}: exit ${r.code} ${r.afterSignalMs!.toFixed(0)} ms after ${signal} (peak RSS ${r.peakRssMiB.toFixed(0)} MiB)`);
  return r;
}

function stoppedCleanly(r: SealRun): void {
  assert.equal(r.code, 130, r.stderr);
  assert.ok(r.afterSignalMs! < 2000, `${r.afterSignalMs} ms after SIGTERM`);
  assert.doesNotMatch(r.stderr, /still running/, 'stopped by the abort, not by the safety net');
}

describe('SIGTERM (item 11)', () => {
  it('sign: a stalled PUT of the .sig manifest; the earlier signature stays', async () => {
    reg.reset();
    const img = reg.addImage('app/sign');
    const ref = `${reg.host}/app/sign@${img.digest}`;
    assert.equal((await runSeal(['sign', '--key', k1.key, ref], { env: env() })).code, 0);
    reg.rule({ method: 'PUT', path: /\/manifests\/sha256-[a-f0-9]{64}\.sig$/, handle: stall });
    stoppedCleanly(await interruptAt(['sign', '--key', k2.key, ref], { method: 'PUT', path: /\.sig$/ }));
    reg.reset();
    const v = await runSeal(['verify', '--key', k1.pub, ref], { env: env() });
    assert.equal(v.code, 0, v.stderr);
  });

  it('sign: interrupted in the settle wait after its PUT; both signatures verify', async () => {
    reg.reset();
    const img = reg.addImage('app/settle');
    const ref = `${reg.host}/app/settle@${img.digest}`;
    assert.equal((await runSeal(['sign', '--key', k1.key, ref], { env: env() })).code, 0);
    // The check before the PUT sees another digest (a concurrent writer), so after its PUT the
    // writer settles for the long period (at least 1.1 s); SIGTERM arrives with that PUT.
    reg.rule({
      method: 'HEAD',
      path: /\/manifests\/sha256-[a-f0-9]{64}\.sig$/,
      times: 1,
      handle: (_req, res) => {
        res.writeHead(200, {
          'docker-content-digest': `sha256:${'e'.repeat(64)}`,
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
          'content-length': 100,
        });
        res.end();
      },
    });
    const r = await interruptAt(['sign', '--key', k2.key, ref], { method: 'PUT', path: /\.sig$/ });
    stoppedCleanly(r);
    assert.ok(r.afterSignalMs! < 1000, `${r.afterSignalMs} ms: the settle wait was not cut short`);
    for (const k of [k1, k2]) assert.equal((await runSeal(['verify', '--key', k.pub, ref], { env: env() })).code, 0);
  });

  it('attest: a stalled PUT of the .att manifest', async () => {
    reg.reset();
    const img = reg.addImage('app/attest');
    const ref = `${reg.host}/app/attest@${img.digest}`;
    const args = ['attest', '--key', k1.key, '--type', 'https://example.com/predicate/v1', '--predicate', predicate, ref];
    assert.equal((await runSeal(args, { env: env() })).code, 0);
    reg.rule({ method: 'PUT', path: /\/manifests\//, handle: stall });
    stoppedCleanly(await interruptAt(['attest', '--key', k2.key, ...args.slice(3)], { method: 'PUT', path: /\/manifests\// }));
    reg.reset();
    const v = await runSeal(['verify-attestation', '--key', k1.pub, '--type', 'https://example.com/predicate/v1', ref], { env: env() });
    assert.equal(v.code, 0, v.stderr);
  });

  it('copy: a layer trickled a byte at a time; nothing is tagged at the destination', async () => {
    reg.reset();
    const img = reg.addImage('app/copy-src');
    const layer = [...reg.blobs.keys()].at(-1)!;
    reg.rule({ method: 'GET', path: new RegExp(`/blobs/${layer}$`), handle: trickle({ everyMs: 100, length: 256, contentType: 'application/octet-stream' }) });
    const dst = await startHostileRegistry();
    try {
      stoppedCleanly(
        await interruptAt(['copy', `${reg.host}/app/copy-src@${img.digest}`, `${dst.host}/app/copy-dst:v1`], { method: 'GET', path: /\/blobs\// }),
      );
      assert.equal(dst.manifests.get('app/copy-dst')?.get('v1'), undefined);
      assert.ok(!dst.blobs.has(layer), 'no partial layer stored');
    } finally {
      await dst.stop();
    }
  });

  it('verify of many images: one stalls on its referrers', async () => {
    reg.reset();
    const refs: string[] = [];
    for (let i = 0; i < 20; i++) {
      const img = reg.addImage(`app/many${i}`);
      refs.push(`${reg.host}/app/many${i}@${img.digest}`);
    }
    reg.rule({ method: 'GET', path: /\/app\/many13\/referrers\//, handle: stall });
    stoppedCleanly(await interruptAt(['verify', '--key', k1.pub, ...refs], { method: 'GET', path: /\/app\/many13\/referrers\// }));
  });

  it('SIGINT (Ctrl-C) is the same: verify stalled on a manifest', async () => {
    reg.reset();
    const img = reg.addImage('app/sigint');
    reg.rule({ method: 'GET', path: /\/manifests\//, handle: stall });
    stoppedCleanly(await interruptAt(['verify', '--key', k1.pub, `${reg.host}/app/sigint@${img.digest}`], { method: 'GET', path: /\/manifests\// }, 'SIGINT'));
  });

  it('verify: interrupted in a retry wait (503 with Retry-After: 30)', async () => {
    reg.reset();
    const img = reg.addImage('app/retry');
    reg.rule({
      method: 'GET',
      path: /\/manifests\//,
      handle: (_req, res) => {
        res.writeHead(503, { 'retry-after': '30', 'content-length': 0 });
        res.end();
      },
    });
    stoppedCleanly(await interruptAt(['verify', '--key', k1.pub, `${reg.host}/app/retry@${img.digest}`], { method: 'GET', path: /\/manifests\// }));
  });
});
