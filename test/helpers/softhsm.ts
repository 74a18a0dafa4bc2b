// A real PKCS#11 token for tests: SoftHSM 2 (Debian softhsm2, installed by .ci/run) with its own
// configuration and token directory in a temporary folder, so each test run starts from an
// empty, freshly initialised token. A missing SoftHSM fails the test; it never skips.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const MODULE_CANDIDATES = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
];

export interface SoftHsm {
  dir: string;
  module: string;
  /** SOFTHSM2_CONF and nothing else: give it to every seal run that touches the token. */
  env: Record<string, string>;
  label: string;
  pin: string;
  soPin: string;
  /** Another token in the same module, e.g. for tests that need two. */
  initToken(label: string): void;
  /** pkcs11-tool (OpenSC) with this module, for making keys seal did not make. */
  tool(args: string[]): string;
  cleanup(): void;
}

export function softHsmModule(): string {
  const found = MODULE_CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new Error('SoftHSM 2 is not installed (apt-get install softhsm2); .ci/run installs it');
  return found;
}

export function startSoftHsm(opts: { label?: string; pin?: string } = {}): SoftHsm {
  const module = softHsmModule();
  const dir = mkdtempSync(path.join(tmpdir(), 'seal-softhsm-'));
  const tokens = path.join(dir, 'tokens');
  mkdirSync(tokens);
  const conf = path.join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const env = { SOFTHSM2_CONF: conf };
  const pin = opts.pin ?? '246810';
  const soPin = '13579111';
  const run = (cmd: string, args: string[]) =>
    execFileSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const initToken = (label: string) => {
    run('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin]);
  };
  const label = opts.label ?? 'seal test';
  initToken(label);
  return {
    dir,
    module,
    env,
    label,
    pin,
    soPin,
    initToken,
    tool: (args) => run('pkcs11-tool', ['--module', module, ...args]),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
