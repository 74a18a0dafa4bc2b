// The entry of the verify commands' build (scripts/dist.mjs: dist/seal-verify.cjs), which
// bin/seal.js runs for `verify-blob`, `verify` and `verify-attestation`: a smaller top level to
// load than the whole build's (docs/design/startup.md). It runs a line the fast path takes; any
// other (help, a usage error, an unusual flag) it leaves alone and reports `false` in `ran`,
// and bin/seal.js runs the whole build on it.
import { fastPathTakes, runAsProcess } from '../src/cli/main.ts';

const args = process.argv.slice(2);

export const ran: Promise<boolean> = fastPathTakes(args).then((takes) => {
  if (takes) void runAsProcess(args);
  return takes;
});
