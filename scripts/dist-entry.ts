// The entry of the single-file build (scripts/dist.mjs): what bin/seal.js does, for a bundle that
// carries its own version and assets and may run as a Node single-executable application.
import { main } from '../src/cli/main.ts';
import { runAgent } from '../src/crypto/pkcs11/agent.ts';

declare const SEAL_VERSION: string;

// seal forks itself as the PKCS#11 token agent (src/crypto/pkcs11/client.ts): no CLI then.
if (process.env.SEAL_PKCS11_AGENT === '1' && typeof process.send === 'function') runAgent();
else cli();

function cli(): void {
  const args = process.argv.slice(2);
  if (args.length === 1 && args[0] === '--version') {
    process.stdout.write(SEAL_VERSION + '\n');
    process.exit(0);
  }

  const controller = new AbortController();
  let interrupted = 0;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (++interrupted > 1) process.exit(130);
      process.stderr.write('Interrupted; stopping (press Ctrl-C again to force)\n');
      controller.abort(new Error('interrupted'));
      // The same safety net as bin/seal.js: seal promises to stop within 2 s.
      setTimeout(() => {
        process.stderr.write('Error: still running 1.5 s after the interrupt; exiting\n');
        process.exit(130);
      }, 1500).unref();
    });
  }

  void main(args, { signal: controller.signal }).then((code) => {
    if (interrupted) process.exit(130);
    process.exitCode = code;
    // As bin/seal.js: exit once stderr is flushed, not when keep-alive sockets time out.
    if (process.stderr.writableLength === 0) process.exit();
    else process.stderr.once('drain', () => process.exit());
  });
}
