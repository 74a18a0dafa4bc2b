// Unencrypted P-256 key pairs made by openssl, for tests that sign and verify through the CLI.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export interface TestKeyPair {
  key: string;
  pub: string;
}

export function makeOpensslKeyPair(dir: string, name: string): TestKeyPair {
  const key = path.join(dir, `${name}.pem`);
  const pub = path.join(dir, `${name}.pub`);
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  execFileSync('openssl', ['pkey', '-in', key, '-pubout', '-out', pub]);
  return { key, pub };
}
