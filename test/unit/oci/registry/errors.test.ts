// How failures read: network causes (transport.ts) and registry answers (errors.ts).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exitCodeFor } from '../../../../src/cli/exit-codes.ts';
import { errorFor, parseErrorBody } from '../../../../src/oci/registry/errors.ts';
import { redactUrl } from '../../../../src/oci/registry/http.ts';
import { loadExtraCAs } from '../../../../src/oci/registry/tls.ts';
import { toNetworkError } from '../../../../src/oci/registry/transport.ts';
import { recordingLog } from './fake.ts';

const url = new URL('https://127.0.0.1:5001/v2/');
const errno = (code: string, message = code) => Object.assign(new Error(message), { code });
const ctx = { timedOut: false, timeoutMs: 60_000 };

describe('network errors', () => {
  const cases: [string, Error, { code: string; message: RegExp; hint?: RegExp }][] = [
    [
      'self-signed',
      errno('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'),
      {
        code: 'TLS_UNTRUSTED',
        message: /^TLS certificate for 127\.0\.0\.1:5001 is not trusted/,
        hint: /--allow-insecure-registry or add the CA with SSL_CERT_FILE/,
      },
    ],
    ['unknown issuer', errno('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), { code: 'TLS_UNTRUSTED', message: /not trusted/ }],
    ['expired', errno('CERT_HAS_EXPIRED'), { code: 'TLS_EXPIRED', message: /not valid now/ }],
    ['wrong name', errno('ERR_TLS_CERT_ALTNAME_INVALID'), { code: 'TLS_HOSTNAME', message: /for another host/ }],
    [
      'plain http server',
      errno('EPROTO', 'write EPROTO ...:wrong version number:...'),
      { code: 'TLS_PROTOCOL', message: /TLS handshake with 127\.0\.0\.1:5001 failed/, hint: /--allow-http-registry/ },
    ],
    ['refused', errno('ECONNREFUSED'), { code: 'CONNECTION_REFUSED', message: /^cannot connect to 127\.0\.0\.1:5001: connection refused$/ }],
    ['no such host', errno('ENOTFOUND'), { code: 'DNS', message: /cannot resolve registry host 127\.0\.0\.1/ }],
    ['reset', errno('ECONNRESET'), { code: 'CONNECTION_RESET', message: /reset/ }],
    ['hang up', new Error('socket hang up'), { code: 'CONNECTION_RESET', message: /closed early/ }],
    ['other', new Error('weird'), { code: 'NETWORK', message: /request to 127\.0\.0\.1:5001 failed: weird/ }],
  ];
  for (const [name, err, want] of cases) {
    it(`maps ${name} to a 'network' error (exit 4) naming the host`, () => {
      const e = toNetworkError(err, url, ctx);
      assert.equal(e.kind, 'network');
      assert.equal(exitCodeFor(e), 4);
      assert.equal(e.code, want.code);
      assert.match(e.message, want.message);
      if (want.hint) assert.match(e.hint ?? '', want.hint);
      assert.equal(e.cause, err);
    });
  }
  it('names the timeout and the flag that raises it', () => {
    const e = toNetworkError(new Error('timeout'), url, { timedOut: true, timeoutMs: 5000, midBody: true });
    assert.equal(e.code, 'TIMEOUT');
    assert.match(e.message, /127\.0\.0\.1:5001 did not answer within 5 s while reading the response/);
    assert.match(e.hint ?? '', /--registry-timeout/);
  });
  it('maps an abort to interrupted', () => {
    const ac = new AbortController();
    ac.abort();
    assert.equal(toNetworkError(new Error('aborted'), url, { ...ctx, signal: ac.signal }).kind, 'interrupted');
  });
});

describe('registry answers', () => {
  const c = { action: 'reading manifest latest', name: 'reg.test/app', credentialsUsed: false };
  it('parses distribution error bodies and ignores anything else', () => {
    assert.deepEqual(parseErrorBody('{"errors":[{"code":"DENIED","message":"no","detail":{"x":1}},{"bogus":1}]}'), [
      { code: 'DENIED', message: 'no', detail: { x: 1 } },
    ]);
    assert.deepEqual(parseErrorBody('<html>'), []);
    assert.deepEqual(parseErrorBody('{"errors":"x"}'), []);
  });
  it('puts the action, the repository, the status and the registry message on one line', () => {
    const e = errorFor(500, 'Internal Server Error', [{ code: 'UNKNOWN', message: 'boom' }], '', c, 6);
    assert.equal(e.message, 'reading manifest latest in reg.test/app failed: 500 Internal Server Error (gave up after 6 attempts): UNKNOWN: boom');
    assert.equal(e.kind, 'registry');
    assert.equal(exitCodeFor(e), 5);
    assert.equal(e.code, 'UNKNOWN');
  });
  it('shows a plain-text body but not an HTML page', () => {
    assert.match(errorFor(502, '', [], 'upstream exploded\nmore', c).message, /502: upstream exploded$/);
    assert.match(errorFor(502, '', [], '<!DOCTYPE html><html>…', c).message, /502$/);
  });
  it('maps statuses to kinds and hints', () => {
    assert.match(errorFor(401, '', [], '', c).hint!, /docker login/);
    assert.match(errorFor(403, '', [], '', { ...c, credentialsUsed: true }).hint!, /check the registry credentials/);
    assert.equal(errorFor(404, '', [], '', c).kind, 'not-found');
    assert.equal(errorFor(412, '', [], '', c).kind, 'conflict');
    assert.match(errorFor(429, '', [], '', c).hint!, /rate limiting/);
  });
});

describe('logging and CA files', () => {
  it('redacts query values that may be secrets, keeps the registry ones', () => {
    const r = redactUrl(new URL('https://s3.test/b?X-Amz-Signature=abc&X-Amz-Credential=k&digest=sha256:1&n=2'));
    assert.ok(!r.includes('abc') && !r.includes('=k&'));
    assert.ok(r.includes('digest=sha256%3A1') && r.includes('n=2'));
  });
  it('reads SSL_CERT_FILE and NODE_EXTRA_CA_CERTS, warning about unusable ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'seal-ca-'));
    try {
      const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
      await writeFile(join(dir, 'ca.pem'), pem);
      await writeFile(join(dir, 'junk'), 'junk');
      const log = recordingLog();
      assert.deepEqual(loadExtraCAs({ SSL_CERT_FILE: join(dir, 'ca.pem'), NODE_EXTRA_CA_CERTS: join(dir, 'missing') }, log), [pem]);
      assert.ok(log.lines.some((l) => /warn: cannot read NODE_EXTRA_CA_CERTS=.*ENOENT/.test(l)));
      assert.deepEqual(loadExtraCAs({ SSL_CERT_FILE: join(dir, 'junk') }, log), []);
      assert.ok(log.lines.some((l) => /holds no PEM certificate/.test(l)));
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
