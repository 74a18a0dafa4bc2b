// Shared pieces of the registry benchmarks: opening seal's registry store, curl's side of the
// comparison, timing and table printing.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { ImageStore } from '../src/oci/store.ts';
import { silentLog } from '../src/log.ts';
import { run } from '../test/harness/index.ts';

/** `--name value` / `--flag` arguments. */
export function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    if (eq > 0) out.set(arg.slice(2, eq), arg.slice(eq + 1));
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) out.set(arg.slice(2), argv[++i]!);
    else out.set(arg.slice(2), 'true');
  }
  return out;
}

/** seal's registry store for `host/repo` (plain http), as the CLI would open it. */
export async function openSealStore(host: string, repo: string, auth: { username?: string; password?: string } = {}): Promise<ImageStore> {
  const { parseReference } = await import('../src/oci/reference.ts');
  const { RegistryStore } = await import('../src/oci/registry/store.ts');
  const ref = parseReference(`${host}/${repo}`);
  if (ref.kind !== 'registry') throw new Error(`not a registry reference: ${host}/${repo}`);
  return RegistryStore.open(ref, { env: process.env, log: silentLog, allowHttp: true, ...auth });
}

/** True while src/oci/registry/store.ts is still the placeholder that throws on open. */
export async function sealClientMissing(host: string): Promise<string | undefined> {
  try {
    await openSealStore(host, 'probe/probe');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** Runs a program, resolving with its stdout; rejects on a non-zero exit. */
export function exec(command: string, args: string[]): Promise<string> {
  return run(command, args).then((r) => r.stdout);
}

/** curl's monolithic upload: POST to open a session, PUT the whole file with ?digest=. */
export async function curlPush(registryUrl: string, repo: string, file: string, digest: string): Promise<void> {
  const headers = await exec('curl', ['-sS', '-f', '-X', 'POST', '-D', '-', '-o', '/dev/null', `${registryUrl}/v2/${repo}/blobs/uploads/`]);
  const location = /^location:\s*(\S+)/im.exec(headers)?.[1];
  if (!location) throw new Error(`curl POST: no Location in\n${headers}`);
  const url = new URL(location, registryUrl);
  url.searchParams.set('digest', digest);
  await exec('curl', ['-sS', '-f', '-o', '/dev/null', '-X', 'PUT', '-H', 'Content-Type: application/octet-stream', '--data-binary', `@${file}`, url.href]);
}

export async function curlPull(registryUrl: string, repo: string, digest: string, out: string): Promise<void> {
  await exec('curl', ['-sS', '-f', '-o', out, `${registryUrl}/v2/${repo}/blobs/${digest}`]);
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - t0) / 1000, value };
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const NUMERIC = /^([+-]?[\d.]+|n\/a)$/;

/** A plain-text table: numbers right-aligned, text left-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (NUMERIC.test(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export async function machine(): Promise<string> {
  const registry = await exec('docker-registry', ['--version']).catch(() => 'docker-registry ?');
  const skopeo = await exec('skopeo', ['--version']).catch(() => 'skopeo ?');
  const curl = (await exec('curl', ['--version']).catch(() => 'curl ?')).split('\n')[0];
  return [
    `node ${process.version}, ${cpus().length} CPU (${cpus()[0]?.model.trim() ?? '?'})`,
    registry.trim(),
    skopeo.trim(),
    curl?.split(' ').slice(0, 2).join(' '),
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  ].join('; ');
}
