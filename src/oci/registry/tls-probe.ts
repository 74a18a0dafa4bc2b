// Does a loopback registry speak TLS? Asked with a bare TLS ClientHello before the first /v2/
// ping, so that a plain-http registry on 127.0.0.1 costs one refused handshake (~1 ms) instead
// of building the https agent (Node's roots plus SSL_CERT_FILE and NODE_EXTRA_CA_CERTS: ~45 ms of
// CPU) for an https request that fails. The probe trusts nothing and sends nothing after the
// hello: no HTTP request, no credentials. It only decides which scheme the ping tries: "plain"
// only on a positive sign of a non-TLS server (the answer to the hello is not a TLS record),
// which is exactly when the https attempt would have failed and fallen back to http; anything
// else leaves the order as it was (https, then http) and the https ping verifies as always.
import { isIP } from 'node:net';
import { connect } from 'node:tls';

export type TlsProbe = 'tls' | 'plain' | 'unknown';

export function probeTls(registry: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<TlsProbe> {
  const url = new URL(`https://${registry}/`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || 443);
  if (opts.signal?.aborted) return Promise.resolve('unknown');
  return new Promise((resolve) => {
    // `ca: []`: no trust store is loaded or needed, nothing is verified.
    const socket = connect({ host, port, ca: [], rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }) });
    const finish = (answer: TlsProbe): void => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', abort);
      socket.destroy();
      resolve(answer); // later calls are no-ops
    };
    const abort = (): void => finish('unknown');
    const timer = setTimeout(abort, opts.timeoutMs);
    timer.unref();
    opts.signal?.addEventListener('abort', abort, { once: true });
    socket.once('secureConnect', () => finish('tls'));
    socket.once('error', (err) => finish(classify(err)));
    socket.once('close', () => finish('unknown'));
  });
}

function classify(err: NodeJS.ErrnoException): TlsProbe {
  const text = `${err.code ?? ''} ${err.message}`;
  // The answer was not a TLS record: an HTTP server answering the hello with "400 Bad Request".
  if (/wrong[ _]version[ _]number|packet[ _]length[ _]too[ _]long|http[ _]request/i.test(text)) return 'plain';
  // A TLS alert is a TLS record: the server speaks TLS (it may want a client certificate).
  if (/alert/i.test(text)) return 'tls';
  return 'unknown';
}
