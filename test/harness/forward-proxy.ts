// A forward HTTP proxy as companies run them: CONNECT tunnels for https targets, absolute-URI
// requests for http ones, optional Basic proxy authentication (407 otherwise). It records what it
// was asked and which headers came with it, so tests can check what a client told the proxy.
import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';

export interface ProxyRecord {
  /** CONNECT, or the method of a forwarded http request. */
  method: string;
  /** host:port for CONNECT; the absolute URI otherwise. */
  target: string;
  /** Proxy-Authorization as received (tests check it is present, never print it). */
  proxyAuthorization?: string;
  /** The Authorization header of a forwarded http request (a CONNECT carries none). */
  authorization?: string;
  /** What the proxy answered: 200 tunnel, 407, 502, or the upstream status. */
  status: number;
}

export interface ForwardProxy {
  /** http://127.0.0.1:PORT (without credentials). */
  url: string;
  port: number;
  records: ProxyRecord[];
  stop(): Promise<void>;
}

export interface ForwardProxyOptions {
  /** Require `Proxy-Authorization: Basic base64(user:pass)`. */
  username?: string;
  password?: string;
}

export async function startForwardProxy(opts: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  const records: ProxyRecord[] = [];
  const expected = opts.username !== undefined ? 'Basic ' + Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64') : undefined;
  const sockets = new Set<Socket>();
  const authorized = (header: string | undefined) => expected === undefined || header === expected;

  const server = http.createServer((req, res) => {
    const rec: ProxyRecord = {
      method: req.method ?? '',
      target: req.url ?? '',
      proxyAuthorization: req.headers['proxy-authorization'],
      authorization: req.headers.authorization,
      status: 0,
    };
    records.push(rec);
    if (!authorized(rec.proxyAuthorization)) {
      rec.status = 407;
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="proxy"' }).end();
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      rec.status = 400;
      res.writeHead(400).end('absolute URI required');
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const up = http.request(url, { method: req.method, headers }, (upRes) => {
      rec.status = upRes.statusCode ?? 0;
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => {
      rec.status = 502;
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });

  server.on('connect', (req: http.IncomingMessage, client: Socket, head: Buffer) => {
    const rec: ProxyRecord = { method: 'CONNECT', target: req.url ?? '', proxyAuthorization: req.headers['proxy-authorization'], status: 0 };
    records.push(rec);
    if (!authorized(rec.proxyAuthorization)) {
      rec.status = 407;
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="proxy"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [host, port] = splitHostPort(req.url ?? '');
    const upstream = net.connect(port, host, () => {
      rec.status = 200;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    const close = () => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on('error', () => {
      if (rec.status === 0) {
        rec.status = 502;
        client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      } else close();
    });
    client.on('error', close);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    records,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function splitHostPort(target: string): [string, number] {
  const i = target.lastIndexOf(':');
  const host = target.slice(0, i).replace(/^\[|\]$/g, '');
  return [host, Number(target.slice(i + 1))];
}
