import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { rootCertificates } from 'node:tls';
import { uniqueCertificates } from '../../../../src/oci/registry/transport.ts';

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
/** The same certificate as a PEM file writes it: 64-character lines (Node's roots use 72), CRLF. */
const rewrap = (pem: string) => {
  const body = pem.replace(/-----[^-]+-----|\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\r\n${body.match(/.{1,64}/g)!.join('\r\n')}\r\n-----END CERTIFICATE-----\r\n`;
};

test('the trust set is kept: every distinct certificate once, whatever its line wrapping', () => {
  const roots = rootCertificates.slice(0, 20);
  const bundle = [...roots.slice(0, 10).map(rewrap), rewrap(rootCertificates[30]!)].join('');
  const out = uniqueCertificates([...roots, bundle, bundle]);
  assert.equal(out.length, 21);
  assert.deepEqual(new Set(out.map(fingerprint)), new Set([...roots, rootCertificates[30]!].map(fingerprint)));
});

test('a PEM with other blocks than CERTIFICATE is passed on whole', () => {
  const odd = `${rootCertificates[0]}\n-----BEGIN TRUSTED CERTIFICATE-----\nAAAA\n-----END TRUSTED CERTIFICATE-----\n`;
  const out = uniqueCertificates([odd]);
  assert.deepEqual(out, [odd]);
});
