// legacyKeylessLayer: a keyless bundle re-expressed as cosign v2 layer annotations, and back
// through legacyLayerToBundle (what verification reads).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { legacyKeylessLayer } from '../../../src/cosign/keyless-layer.ts';
import { legacyLayerToBundle } from '../../../src/cosign/legacy-bundle.ts';
import { SealError } from '../../../src/errors.ts';

const CERT_DER = Buffer.alloc(100, 7).toString('base64');
const LOG_ID_HEX = 'c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d';
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64');

function bundle(content: Record<string, unknown>, body: unknown, extra: Record<string, unknown> = {}) {
  return Buffer.from(
    JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: {
        certificate: { rawBytes: CERT_DER },
        tlogEntries: [
          {
            logIndex: '42',
            logId: { keyId: Buffer.from(LOG_ID_HEX, 'hex').toString('base64') },
            kindVersion: { kind: 'x', version: '0.0.1' },
            integratedTime: '1740770291',
            inclusionPromise: { signedEntryTimestamp: 'U0VU' },
            canonicalizedBody: b64(body),
          },
        ],
        ...extra,
      },
      ...content,
    }),
  );
}

describe('legacyKeylessLayer', () => {
  describe('for a message signature', () => {
    const body = { apiVersion: '0.0.1', kind: 'hashedrekord', spec: {} };
    const withTsa = { timestampVerificationData: { rfc3161Timestamps: [{ signedTimestamp: 'VFNB' }] } };
    const out = legacyKeylessLayer(bundle({ messageSignature: { signature: 'c2ln' } }, body, withTsa));

    test('writes the signature, certificate PEM, empty chain, Rekor bundle and timestamp', () => {
      const a = out.annotations;
      assert.equal(a['dev.cosignproject.cosign/signature'], 'c2ln');
      assert.match(a['dev.sigstore.cosign/certificate']!, /^-----BEGIN CERTIFICATE-----\n(.{64}\n)+.+\n-----END CERTIFICATE-----\n$/);
      assert.equal(a['dev.sigstore.cosign/chain'], '');
      assert.equal(
        a['dev.sigstore.cosign/bundle'],
        `{"SignedEntryTimestamp":"U0VU","Payload":{"body":"${b64(body)}","integratedTime":1740770291,"logIndex":42,"logID":"${LOG_ID_HEX}"}}`,
      );
      assert.equal(a['dev.sigstore.cosign/rfc3161timestamp'], '{"SignedRFC3161Timestamp":"VFNB"}');
      assert.equal(out.envelope, undefined);
    });

    test('reads back as the same certificate, log entry and timestamp', () => {
      const payload = Buffer.from('{"critical":{}}');
      const back = legacyLayerToBundle({ mediaType: 'm', size: 1, digest: 'sha256:00', annotations: out.annotations }, payload, 'sig') as {
        verificationMaterial: {
          x509CertificateChain: { certificates: { rawBytes: string }[] };
          tlogEntries: Record<string, unknown>[];
          timestampVerificationData: unknown;
        };
        messageSignature: { signature: string };
      };
      assert.deepEqual(back.verificationMaterial.x509CertificateChain.certificates, [{ rawBytes: CERT_DER }]);
      const [entry] = back.verificationMaterial.tlogEntries;
      assert.equal(entry!.logIndex, '42');
      assert.equal(entry!.integratedTime, '1740770291');
      assert.deepEqual(entry!.logId, { keyId: Buffer.from(LOG_ID_HEX, 'hex').toString('base64') });
      assert.deepEqual(back.verificationMaterial.timestampVerificationData, { rfc3161Timestamps: [{ signedTimestamp: 'VFNB' }] });
      assert.equal(back.messageSignature.signature, 'c2ln');
    });
  });

  describe('for a DSSE envelope', () => {
    const env = { payload: 'e30=', payloadType: 'application/vnd.in-toto+json', signatures: [{ sig: 'c2ln' }] };
    const hash = createHash('sha256').update(JSON.stringify(env)).digest('hex');

    test('returns the logged envelope bytes and an empty signature annotation', () => {
      const out = legacyKeylessLayer(bundle({ dsseEnvelope: env }, { kind: 'dsse', spec: { envelopeHash: { algorithm: 'sha256', value: hash } } }));
      assert.equal(Buffer.from(out.envelope!).toString(), JSON.stringify(env));
      assert.equal(out.annotations['dev.cosignproject.cosign/signature'], '');
      assert.equal(out.annotations['dev.sigstore.cosign/rfc3161timestamp'], undefined);
    });

    test('refuses when Rekor logged other envelope bytes', () => {
      const b = bundle({ dsseEnvelope: env }, { kind: 'dsse', spec: { envelopeHash: { algorithm: 'sha256', value: '0'.repeat(64) } } });
      assert.throws(
        () => legacyKeylessLayer(b),
        (e: unknown) => e instanceof SealError && /another envelope serialization/.test(e.message),
      );
    });
  });

  test('refuses a bundle without an inclusion promise or a certificate', () => {
    const noPromise = JSON.parse(bundle({ messageSignature: { signature: 'c2ln' } }, {}).toString());
    delete noPromise.verificationMaterial.tlogEntries[0].inclusionPromise;
    assert.throws(() => legacyKeylessLayer(Buffer.from(JSON.stringify(noPromise))), /inclusion promise/);
    const noCert = JSON.parse(bundle({ messageSignature: { signature: 'c2ln' } }, {}).toString());
    delete noCert.verificationMaterial.certificate;
    assert.throws(() => legacyKeylessLayer(Buffer.from(JSON.stringify(noCert))), /no signing certificate/);
  });
});
