// The node transport's response headers: read like a WHATWG Headers (any case; repeated headers
// joined with ", "; absent is null), without building one per response.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { silentLog } from '../../../../src/log.ts';
import { createNodeTransport } from '../../../../src/oci/registry/transport.ts';

test('response headers: any case, repeated ones joined, absent ones null', async () => {
  const server = http.createServer((_req, res) => {
    res.setHeader('Docker-Content-Digest', 'sha256:abc');
    res.setHeader('WWW-Authenticate', ['Bearer realm="https://a.example/token"', 'Basic realm="x"']);
    res.setHeader('Link', ['</v2/a?n=1>; rel="next"']);
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const transport = createNodeTransport({ log: silentLog, userAgent: 'seal-test', timeoutMs: 5000 });
  try {
    const res = await transport({ method: 'GET', url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/`), headers: {} });
    res.discard();
    assert.equal(res.headers.get('docker-content-digest'), 'sha256:abc');
    assert.equal(res.headers.get('Docker-Content-Digest'), 'sha256:abc');
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="https://a.example/token", Basic realm="x"');
    assert.equal(res.headers.get('link'), '</v2/a?n=1>; rel="next"');
    assert.equal(res.headers.get('oci-subject'), null);
    assert.equal(res.headers.has('OCI-Subject'), false);
    assert.equal(res.headers.has('content-length'), true);
  } finally {
    transport.close();
    await new Promise((resolve) => server.close(resolve));
  }
});
