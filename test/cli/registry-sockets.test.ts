// A command run in-process closes its registry connections when it ends, success or failure: the
// keep-alive pools of its registry session (src/cli/options/registry.ts) are closed by runCommand
// (src/cli/main.ts). A TCP relay in front of a real registry counts the connections still open
// once each command has returned.
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeImageLayout, startRegistry, type RunningRegistry } from '../harness/index.ts';
import { runInProcess } from '../helpers/in-process.ts';
import { workspace } from '../helpers/workspace.ts';

/** A TCP relay to `target` that knows how many client connections it took and how many are open. */
async function startRelay(target: string) {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const open = new Set<net.Socket>();
  let taken = 0;
  let onClose = () => {};
  const server = net.createServer((client) => {
    taken++;
    open.add(client);
    const upstream = net.connect(port, host);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      if (open.delete(client)) onClose();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    taken: () => taken,
    /** Resolves once no client connection is open; rejects with the count still open after `ms`. */
    drained(ms: number): Promise<void> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${open.size} connection(s) still open ${ms} ms after the command ended`)), ms);
        onClose = () => {
          if (open.size === 0) (clearTimeout(timer), resolve());
        };
        onClose();
      });
    },
    stop: () => {
      for (const s of open) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const { dir: work, key, pub } = await workspace('seal-sockets-');
let reg: RunningRegistry;
let relay: Awaited<ReturnType<typeof startRelay>>;

before(async () => {
  reg = await startRegistry('plain');
  relay = await startRelay(reg.host);
});
after(async () => {
  await relay?.stop();
  await reg?.stop();
});

const seal = (args: string[]) => runInProcess(args, { cwd: work, env: { HOME: work, DOCKER_CONFIG: path.join(work, 'docker'), SIGSTORE_ID_TOKEN: undefined } });

test('copy, sign, verify and a failing verify leave no registry connection open once they return', async () => {
  const img = await makeImageLayout(path.join(work, 'layout'));
  const ref = `${relay.host}/app:v1`;
  const lines: [string[], number][] = [
    [['copy', `oci:${img.dir}:latest`, ref], 0],
    [['sign', '--key', key, '-y', ref], 0],
    [['verify', '--key', pub, ref], 0],
    [['verify', '--key', pub, `${relay.host}/app:missing`], 11],
  ];
  for (const [args, code] of lines) {
    const before = relay.taken();
    const r = await seal(args);
    assert.equal(r.code, code, `${args[0]}: ${r.stderr}`);
    assert.ok(relay.taken() > before, `${args.join(' ')}: the command went through the relay`);
    await relay.drained(2000).catch((err: Error) => assert.fail(`seal ${args.join(' ')}: ${err.message}`));
  }
});
