// Extra CA certificates for registries with a private CA. Node reads NODE_EXTRA_CA_CERTS only at
// start-up and never reads SSL_CERT_FILE, so both are read here (from the environment the store
// was given) and added to Node's bundled roots. An unreadable file is a warning, not a failure:
// a stale variable should not break access to registries with public certificates.
import { readFileSync } from 'node:fs';
import type { Log } from '../../log.ts';

export const CA_ENV_VARS = ['SSL_CERT_FILE', 'NODE_EXTRA_CA_CERTS'] as const;

export function loadExtraCAs(env: Readonly<Record<string, string | undefined>>, log: Log): string[] {
  const out: string[] = [];
  for (const name of CA_ENV_VARS) {
    const file = env[name];
    if (!file) continue;
    try {
      const pem = readFileSync(file, 'utf8');
      if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
        log.warn(`${name}=${file} holds no PEM certificate; ignored`);
        continue;
      }
      out.push(pem);
      log.debug(`trusting the CA certificates in ${file} (${name})`);
    } catch (err) {
      log.warn(`cannot read ${name}=${file} (${(err as NodeJS.ErrnoException).code ?? String(err)}); ignored`);
    }
  }
  return out;
}
