// Stands in for `seal verify-blob` in entrypoint.test.ts, so the entrypoint's flag mapping is
// tested even before (and independently of) the real command: it accepts exactly the flags the
// entrypoint emits and calls verifyBundle like the command does.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { exitCodeFor } from '../../src/cli/exit-codes.ts';
import { messageOf } from '../../src/errors.ts';
import { verifyBundle } from '../../src/sigstore/verify-bundle.ts';

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
