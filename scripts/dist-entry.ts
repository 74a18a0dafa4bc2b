// The entry of the single-file build (scripts/dist.mjs): what bin/seal.js does, for a bundle that
// carries its own version and assets and may run as a Node single-executable application.
import { runAsProcess } from '../src/cli/main.ts';
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

  void runAsProcess(args);
}
