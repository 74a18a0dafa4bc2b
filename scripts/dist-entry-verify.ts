// The entry of the verify commands' build (scripts/dist.mjs: dist/seal-verify.cjs), which
// bin/seal.js runs for `verify-blob`, `verify` and `verify-attestation`: a smaller top level to
// load than the whole build's (docs/design/startup.md). It runs a line the fast path takes; any
// other (help, a usage error, an unusual flag) it leaves alone and reports `false` in `ran`,
// and bin/seal.js runs the whole build on it.
import { fastPathTakes, runAsProcess } from '../src/cli/main.ts';
import { runAgent } from '../src/crypto/pkcs11/agent.ts';

const args = process.argv.slice(2);

// A PKCS#11 key forks the running build as the token agent (src/crypto/pkcs11/client.ts), as
// scripts/dist-entry.ts does for the whole build.
const agent = process.env.SEAL_PKCS11_AGENT === '1' && typeof process.send === 'function';
if (agent) runAgent();

export const ran: Promise<boolean> = agent
  ? Promise.resolve(true)
  : fastPathTakes(args).then((takes) => {
      if (takes) void runAsProcess(args);
      return takes;
    });
