// A tiny, real TUF repository served over node:http on 127.0.0.1, for tests of TUF clients.
//
// Format (TUF specification 1.0, https://theupdateframework.github.io/specification/latest/):
// every metadata file is `{"signed": {...}, "signatures": [{"keyid", "sig"}]}` where `sig` is the
// hex ed25519 signature over the OLPC canonical JSON of `signed` (keys sorted, no whitespace,
// only `"` and `\` escaped in strings, integers only). A key is
// `{"keytype":"ed25519","scheme":"ed25519","keyval":{"public":HEX}}` and its keyid is the SHA-256
// of that key's canonical JSON. Four roles, one key each, threshold 1:
//   root       lists the keys of all roles; served as /1.root.json (the client asks for
//              /2.root.json next and a 404 means no rotation)
//   timestamp  names the current snapshot version; /timestamp.json (never versioned)
//   snapshot   names the current targets version; /N.snapshot.json
//   targets    lists each target's length and sha256; /N.targets.json
// With `consistent_snapshot` (as the Sigstore repository has) the client fetches versioned
// snapshot/targets files and targets as /targets/<sha256>.<name>.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** OLPC canonical JSON, the encoding TUF signs. */
export function canonicalJSON(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error('canonical JSON has integers only');
    return String(value);
  }
  if (typeof value === 'string') return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  if (Array.isArray(value)) return `[${value.map(canonicalJSON).join(',')}]`;
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${canonicalJSON(k)}:${canonicalJSON(o[k])}`)
      .join(',')}}`;
  }
  throw new Error(`cannot encode ${typeof value} as canonical JSON`);
}

interface RoleKey {
  id: string;
  publicKey: Record<string, unknown>;
  privateKey: KeyObject;
}

function newKey(): RoleKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const key = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: raw.toString('hex') } };
  return { id: createHash('sha256').update(canonicalJSON(key)).digest('hex'), publicKey: key, privateKey };
}

function signed(body: Record<string, unknown>, key: RoleKey): Buffer {
  const sig = sign(null, Buffer.from(canonicalJSON(body)), key.privateKey).toString('hex');
  return Buffer.from(JSON.stringify({ signed: body, signatures: [{ keyid: key.id, sig }] }, null, 1));
}

const isoSeconds = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const inDays = (days: number): Date => new Date(Date.now() + days * 86_400_000);

export interface PublishOptions {
  /** Target name -> content. */
  targets: Record<string, string | Buffer>;
  /** Expiry of timestamp.json (default: in 7 days). */
  timestampExpires?: Date;
}

export interface TufRepo {
  url: string;
  /** The bytes of 1.root.json: the initial trusted root a client needs. */
  root: Buffer;
  /** Signs and serves a new version of timestamp, snapshot and targets with these targets. */
  publish(opts: PublishOptions): void;
  /** Serves other bytes at a target's URL, leaving the signed metadata alone (a tampered mirror). */
  tamperTarget(name: string, bytes: string | Buffer): void;
  /** Serves the timestamp.json of an earlier version again (a rollback attack). */
  rollbackTimestamp(version: number): void;
  /** Paths requested so far. */
  requests: string[];
  stop(): Promise<void>;
}

export async function startTufRepo(initial: PublishOptions): Promise<TufRepo> {
  const keys = { root: newKey(), timestamp: newKey(), snapshot: newKey(), targets: newKey() };
  const files = new Map<string, Buffer>();
  const rootBody = {
    _type: 'root',
    spec_version: '1.0.31',
    version: 1,
    expires: isoSeconds(inDays(365)),
    consistent_snapshot: true,
    keys: Object.fromEntries(Object.values(keys).map((k) => [k.id, k.publicKey])),
    roles: Object.fromEntries(Object.entries(keys).map(([role, k]) => [role, { keyids: [k.id], threshold: 1 }])),
  };
  const root = signed(rootBody, keys.root);
  files.set('/1.root.json', root);
  let version = 0;
  const timestamps: Buffer[] = [];
  const targetPaths = new Map<string, string>();

  const publish = (opts: PublishOptions): void => {
    version += 1;
    const targets: Record<string, unknown> = {};
    for (const [name, content] of Object.entries(opts.targets)) {
      const bytes = Buffer.from(content);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      targets[name] = { length: bytes.length, hashes: { sha256 } };
      const p = `/targets/${sha256}.${name}`;
      files.set(p, bytes);
      targetPaths.set(name, p);
    }
    const common = { spec_version: '1.0.31', version };
    files.set(`/${version}.targets.json`, signed({ _type: 'targets', ...common, expires: isoSeconds(inDays(30)), targets }, keys.targets));
    files.set(
      `/${version}.snapshot.json`,
      signed({ _type: 'snapshot', ...common, expires: isoSeconds(inDays(14)), meta: { 'targets.json': { version } } }, keys.snapshot),
    );
    const timestampExpires = isoSeconds(opts.timestampExpires ?? inDays(7));
    const timestamp = signed({ _type: 'timestamp', ...common, expires: timestampExpires, meta: { 'snapshot.json': { version } } }, keys.timestamp);
    timestamps[version] = timestamp;
    files.set('/timestamp.json', timestamp);
  };
  publish(initial);

  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const p = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(p);
    const body = files.get(p);
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    root,
    publish,
    tamperTarget(name, bytes) {
      const p = targetPaths.get(name);
      if (!p) throw new Error(`no target ${name}`);
      files.set(p, Buffer.from(bytes));
    },
    rollbackTimestamp(v) {
      const old = timestamps[v];
      if (!old) throw new Error(`no timestamp version ${v}`);
      files.set('/timestamp.json', old);
    },
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
