// Self-signed P-256 certificates made with openssl (Go's TLS needs a SAN; it ignores the CN).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireTool, run } from './tools.ts';

export interface SelfSignedCert {
  certFile: string;
  keyFile: string;
  certPem: string;
  keyPem: string;
}

export async function makeSelfSignedCert(
  dir: string,
  opts: { name: string; commonName: string; subjectAltName?: string; days?: number },
): Promise<SelfSignedCert> {
  const openssl = await requireTool('openssl', 'openssl');
  const certFile = join(dir, `${opts.name}-cert.pem`);
  const keyFile = join(dir, `${opts.name}-key.pem`);
  const args = [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    String(opts.days ?? 30),
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-subj',
    `/CN=${opts.commonName}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
  ];
  if (opts.subjectAltName) args.push('-addext', `subjectAltName=${opts.subjectAltName}`);
  await run(openssl, args);
  return { certFile, keyFile, certPem: await readFile(certFile, 'utf8'), keyPem: await readFile(keyFile, 'utf8') };
}
