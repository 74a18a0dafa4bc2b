// Stands in for `seal verify-blob` in entrypoint.test.ts, so the entrypoint's flag mapping is
// tested even before (and independently of) the real command: it accepts exactly the flags the
// entrypoint emits and calls verifyBundle like the command does.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import type * as ExitCodes from '../../src/cli/exit-codes.ts';
import type * as Errors from '../../src/errors.ts';
import type * as VerifyBundle from '../../src/sigstore/verify-bundle.ts';

// The same modules from the dist/ scripts/test.sh has just built from these sources, when it has
// (run-cli.ts: SEAL_TEST_BUILT_DIST): no type stripping of every source file at each start.
const from = process.env.SEAL_TEST_BUILT_DIST === '1' ? '../../dist/' : '../../src/';
const ext = process.env.SEAL_TEST_BUILT_DIST === '1' ? 'js' : 'ts';
const { exitCodeFor } = (await import(new URL(`${from}cli/exit-codes.${ext}`, import.meta.url).href)) as typeof ExitCodes;
const { messageOf } = (await import(new URL(`${from}errors.${ext}`, import.meta.url).href)) as typeof Errors;
const { verifyBundle } = (await import(new URL(`${from}sigstore/verify-bundle.${ext}`, import.meta.url).href)) as typeof VerifyBundle;

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    bundle: { type: 'string' },
    key: { type: 'string' },
    'certificate-identity': { type: 'string' },
    'certificate-oidc-issuer': { type: 'string' },
    'trusted-root': { type: 'string' },
  },
});
if (positionals[0] !== 'verify-blob' || positionals.length !== 2 || !values.bundle) {
  process.stderr.write(`stub: unexpected argv ${JSON.stringify(process.argv.slice(2))}\n`);
  process.exit(2);
}
const target = positionals[1];
const artifact = existsSync(target) ? { path: target } : { digest: { algorithm: 'sha256' as const, hex: target.replace(/^sha256:/, '') } };
try {
  await verifyBundle(readFileSync(values.bundle), artifact, {
    publicKeyPem: values.key === undefined ? undefined : readFileSync(values.key, 'utf8'),
    certificateIdentity: values['certificate-identity'],
    certificateOidcIssuer: values['certificate-oidc-issuer'],
    trustedRootPath: values['trusted-root'],
  });
  process.stderr.write('Verified OK\n');
} catch (err) {
  process.stderr.write(`Error: ${messageOf(err)}\n`);
  process.exitCode = exitCodeFor(err);
}
