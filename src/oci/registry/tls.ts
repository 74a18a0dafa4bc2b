// Extra CA certificates for registries with a private CA (and the client certificate for mutual TLS). Node reads NODE_EXTRA_CA_CERTS only at
// start-up and never reads SSL_CERT_FILE, so both are read here (from the environment the store
// was given) and added to Node's bundled roots. An unreadable file is a warning, not a failure:
// a stale variable should not break access to registries with public certificates.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SealError } from '../../errors.ts';
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

/**
 * CA files named on the command line (--registry-cacert). Unlike the environment variables, an
 * explicit file that cannot be used is an error: the user asked for it by name.
 */
export function loadCAFiles(files: readonly string[], log: Log): string[] {
  return files.map((file) => {
    const pem = readPem(file, '--registry-cacert');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new SealError('input', `--registry-cacert ${file} holds no PEM certificate`, {
        hint: 'give the CA certificate in PEM form (-----BEGIN CERTIFICATE-----)',
      });
    }
    log.debug(`trusting the CA certificates in ${file} (--registry-cacert)`);
    return pem;
  });
}

/** The client certificate and key for mutual TLS; both or neither. */
export function loadClientCertificate(certFile: string | undefined, keyFile: string | undefined): { clientCert?: string; clientKey?: string } {
  if (certFile === undefined && keyFile === undefined) return {};
  if (certFile === undefined || keyFile === undefined) {
    throw new SealError('usage', '--registry-client-cert and --registry-client-key go together');
  }
  const clientCert = readPem(certFile, '--registry-client-cert');
  const clientKey = readPem(keyFile, '--registry-client-key');
  if (!clientCert.includes('-----BEGIN CERTIFICATE-----')) throw new SealError('input', `--registry-client-cert ${certFile} holds no PEM certificate`);
  if (!/-----BEGIN (EC |RSA |ENCRYPTED )?PRIVATE KEY-----/.test(clientKey))
    throw new SealError('input', `--registry-client-key ${keyFile} holds no PEM private key`);
  if (clientKey.includes('ENCRYPTED PRIVATE KEY')) {
    throw new SealError('input', `--registry-client-key ${keyFile} is encrypted`, { hint: 'decrypt it first: openssl pkey -in KEY -out PLAIN.key' });
  }
  try {
    createPrivateKey(clientKey);
    const cert = new X509Certificate(clientCert);
    if (!cert.checkPrivateKey(createPrivateKey(clientKey))) {
      throw new SealError('input', `--registry-client-key ${keyFile} is not the key of --registry-client-cert ${certFile}`);
    }
  } catch (err) {
    if (err instanceof SealError) throw err;
    throw new SealError('input', `cannot use the client certificate ${certFile} with key ${keyFile}: ${(err as Error).message}`);
  }
  return { clientCert, clientKey };
}

function readPem(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SealError('input', `cannot read ${flag} ${file} (${code === 'ENOENT' ? 'no such file' : (code ?? String(err))})`);
  }
}
