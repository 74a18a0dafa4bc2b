// The set-up most CLI test files share: a temporary directory for the file, removed after its
// tests, with openssl P-256 key pairs in it. Called at the top of a test file (top-level await):
//   const { dir: work, key, pub, keys } = await workspace('seal-copy-', ['key', 'other']);
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { makeOpensslKeyPair, type TestKeyPair } from './keys.ts';

export interface Workspace {
  dir: string;
  /** The first key pair's private key and public key. */
  key: string;
  pub: string;
  /** Every key pair by name (`NAME.pem`, `NAME.pub` in `dir`). */
  keys: Record<string, TestKeyPair>;
}

export async function workspace(prefix: string, keyNames: string[] = ['key']): Promise<Workspace> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  after(() => rm(dir, { recursive: true, force: true }));
  const keys = Object.fromEntries(keyNames.map((name) => [name, makeOpensslKeyPair(dir, name)]));
  const first = keys[keyNames[0]!] ?? { key: '', pub: '' };
  return { dir, key: first.key, pub: first.pub, keys };
}
