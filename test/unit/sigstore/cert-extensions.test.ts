// Certificate extension checks on a real GitHub Actions Fulcio certificate (sigstore-conformance's
// happy-path-v0.3 leaf, which carries both the deprecated .1.2-.1.6 and the 1.8+ extensions).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { X509Certificate } from '@sigstore/core';

import { SealError } from '../../../src/errors.ts';
import {
  checkExtensions,
  extensionRequirements,
  extensionString,
  parseExtensionArgs,
  type ExtensionLookup,
  type ExtensionPolicy,
} from '../../../src/sigstore/cert-extensions.ts';
import { signerRequirement } from '../../../src/sigstore/identity-policy.ts';

const F = '1.3.6.1.4.1.57264.1';
const testDir = fileURLToPath(new URL('../../', import.meta.url));
const bundlePath = `${testDir}fixtures/sigstore-conformance/test/assets/bundle-verify/happy-path-v0.3/bundle.sigstore.json`;

const REAL = {
  trigger: 'workflow_dispatch',
  sha: 'c7b3dfb335f051e1c86bda4c716fac97df62ad81',
  name: 'Extremely dangerous OIDC beacon',
  repository: 'sigstore-conformance/extremely-dangerous-public-oidc-beacon',
  ref: 'refs/heads/main',
} as const;

function realLookup(): ExtensionLookup {
  const bundle = JSON.parse(readFileSync(bundlePath, 'utf8'));
  const leaf = X509Certificate.parse(Buffer.from(bundle.verificationMaterial.certificate.rawBytes, 'base64'));
  return (oid) => leaf.extension(oid)?.value;
}
/** The same certificate as a future Fulcio might issue it: without the deprecated extensions. */
const withoutDeprecated =
  (ext: ExtensionLookup): ExtensionLookup =>
  (oid) =>
    /^1\.3\.6\.1\.4\.1\.57264\.1\.[1-6]$/.test(oid) ? undefined : ext(oid);

const check = (policy: ExtensionPolicy, ext: ExtensionLookup) => checkExtensions(extensionRequirements(policy), ext);
const failsWith = (code: string, re: RegExp) => (err: unknown) =>
  err instanceof SealError && err.kind === 'verification' && err.code === code && re.test(err.message) && !err.message.includes('\n');
const usage = (re: RegExp) => (err: unknown) => err instanceof SealError && err.kind === 'usage' && re.test(err.message);

describe('extensionString', () => {
  it('reads .1.1-.1.6 as raw strings and 1.8+ as DER strings', () => {
    assert.equal(extensionString(`${F}.2`, Buffer.from('push')), 'push');
    // A raw value that happens to look like DER stays raw for the deprecated OIDs.
    assert.equal(extensionString(`${F}.6`, Buffer.from([0x0c, 0x01, 0x41])), '\x0c\x01A');
    assert.equal(extensionString(`${F}.20`, Buffer.from([0x0c, 0x04, ...Buffer.from('push')])), 'push');
    assert.equal(extensionString('1.2.3.4', Buffer.from([0x16, 0x02, 0x68, 0x69])), 'hi', 'IA5String');
    const long = 'x'.repeat(200);
    assert.equal(extensionString(`${F}.21`, Buffer.concat([Buffer.from([0x0c, 0x81, 200]), Buffer.from(long)])), long);
  });

  it('falls back to the raw bytes when the value is not exactly one DER string', () => {
    assert.equal(extensionString('1.2.3.4', Buffer.from('plain')), 'plain');
    assert.equal(extensionString('1.2.3.4', Buffer.from([0x0c, 0x05, 0x61])), '\x0c\x05a', 'truncated');
    assert.equal(extensionString('1.2.3.4', Buffer.from([0x0c, 0x01, 0x61, 0x62])), '\x0c\x01ab', 'trailing bytes');
  });
});

describe('checkExtensions on a real GitHub Actions certificate', () => {
  for (const [field, value] of Object.entries(REAL)) {
    it(`--certificate-github-workflow-${field}: the real value passes, another fails naming both`, () => {
      const ext = realLookup();
      const [made] = check({ github: { [field]: value } }, ext);
      assert.equal(made!.expected, value);
      assert.equal(made!.found, value);
      assert.match(made!.oid, /^1\.3\.6\.1\.4\.1\.57264\.1\.[2-6]$/, 'read from the deprecated extension first');
      assert.throws(
        () => check({ github: { [field]: `${value}x` } }, ext),
        failsWith(
          'EXTENSION_MISMATCH',
          new RegExp(`is ${JSON.stringify(value).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, expected ".*x" \\(--certificate-github-workflow-${field}\\)`),
        ),
      );
    });
  }

  it('compares exactly: no prefix, suffix or case folding', () => {
    const ext = realLookup();
    for (const wrong of ['refs/heads/mai', 'refs/heads/main/', 'REFS/HEADS/MAIN', 'refs/heads/.*', ' refs/heads/main']) {
      assert.throws(() => check({ github: { ref: wrong } }, ext), failsWith('EXTENSION_MISMATCH', /GitHub Workflow Ref/));
    }
  });

  it('checks every flag given and reports them all', () => {
    const made = check({ github: { ...REAL } }, realLookup());
    assert.deepEqual(
      made.map((c) => [c.name, c.found]),
      [
        ['GitHub Workflow Trigger', REAL.trigger],
        ['GitHub Workflow SHA', REAL.sha],
        ['GitHub Workflow Name', REAL.name],
        ['GitHub Workflow Repository', REAL.repository],
        ['GitHub Workflow Ref', REAL.ref],
      ],
    );
    // One wrong among right ones still fails.
    assert.throws(() => check({ github: { ...REAL, sha: '0'.repeat(40) } }, realLookup()), failsWith('EXTENSION_MISMATCH', /GitHub Workflow SHA/));
  });

  it('falls back to the 1.8+ extensions when the deprecated ones are absent', () => {
    const ext = withoutDeprecated(realLookup());
    const made = check({ github: { trigger: REAL.trigger, sha: REAL.sha, repository: REAL.repository, ref: REAL.ref } }, ext);
    assert.deepEqual(
      made.map((c) => c.oid),
      [`${F}.20`, `${F}.13`, `${F}.12`, `${F}.14`],
    );
    assert.equal(made[2]!.found, REAL.repository, 'Source Repository URI mapped back to OWNER/REPO');
    assert.throws(
      () => check({ github: { ref: 'refs/heads/dev' } }, ext),
      failsWith('EXTENSION_MISMATCH', /is "refs\/heads\/main", expected "refs\/heads\/dev"/),
    );
    // The workflow name has no successor.
    assert.throws(
      () => check({ github: { name: REAL.name } }, ext),
      failsWith('EXTENSION_MISSING', /no extension GitHub Workflow Name \(1\.3\.6\.1\.4\.1\.57264\.1\.4\)/),
    );
  });

  it('does not map a Source Repository URI of another host to OWNER/REPO', () => {
    const text = Buffer.from('https://gitlab.example/sigstore/conforma');
    const uri = Buffer.from([0x0c, text.length, ...text]);
    const ext: ExtensionLookup = (oid) => (oid === `${F}.12` ? uri : undefined);
    assert.throws(() => check({ github: { repository: 'sigstore/conforma' } }, ext), failsWith('EXTENSION_MISSING', /Repository/));
  });

  it('fails when the extension is missing altogether', () => {
    assert.throws(
      () => check({ github: { ref: REAL.ref } }, () => undefined),
      failsWith('EXTENSION_MISSING', /no extension GitHub Workflow Ref \(.*\.6 or .*\.14\); expected "refs\/heads\/main"/),
    );
  });

  it('--certificate-extension matches any OID, DER-decoding 1.8+ values', () => {
    const ext = realLookup();
    const made = check({ oids: { [`${F}.11`]: 'github-hosted', [`${F}.22`]: 'public', [`${F}.1`]: 'https://token.actions.githubusercontent.com' } }, ext);
    assert.deepEqual(
      made.map((c) => [c.name, c.found]),
      [
        ['Runner Environment', 'github-hosted'],
        ['Source Repository Visibility At Signing', 'public'],
        ['Issuer (deprecated)', 'https://token.actions.githubusercontent.com'],
      ],
    );
    assert.throws(
      () => check({ oids: { [`${F}.11`]: 'self-hosted' } }, ext),
      failsWith(
        'EXTENSION_MISMATCH',
        /Runner Environment \(1\.3\.6\.1\.4\.1\.57264\.1\.11\) is "github-hosted", expected "self-hosted" \(--certificate-extension\)/,
      ),
    );
    assert.throws(() => check({ oids: { '1.2.3.4.5': 'x' } }, ext), failsWith('EXTENSION_MISSING', /no extension 1\.2\.3\.4\.5; expected "x"/));
  });
});

describe('extension policy parsing', () => {
  it('parses repeated OID=VALUE, keeping = in values', () => {
    assert.deepEqual(parseExtensionArgs(['1.2.3=a=b', '1.2.4=', '1.2.3=a=b']), { '1.2.3': 'a=b', '1.2.4': '' });
    assert.throws(() => parseExtensionArgs(['1.2.3']), usage(/is not OID=VALUE/));
    assert.throws(() => parseExtensionArgs(['=x']), usage(/is not OID=VALUE/));
    assert.throws(() => parseExtensionArgs(['1.2.3=a', '1.2.3=b']), usage(/twice with different values/));
  });

  it('rejects malformed OIDs, empty GitHub values and contradictions', () => {
    for (const bad of ['1', 'a.b', '1.2.', '3.1', '1..2', '1.02']) {
      assert.throws(() => extensionRequirements({ oids: { [bad]: 'x' } }), usage(/is not an OID/), bad);
    }
    assert.throws(() => extensionRequirements({ github: { ref: '' } }), usage(/--certificate-github-workflow-ref is empty/));
    assert.throws(() => extensionRequirements({ github: { ref: 'a' }, oids: { [`${F}.6`]: 'b' } }), usage(/different values/));
    assert.deepEqual(extensionRequirements(undefined), []);
  });

  it('refuses extension checks with a public key', () => {
    assert.throws(
      () => signerRequirement({ publicKeyPem: 'PEM', extensions: { github: { ref: 'refs/heads/main' } } }),
      usage(/checks a certificate, but a public key was given/),
    );
    const req = signerRequirement({ certificateIdentity: 'a', certificateOidcIssuer: 'b', extensions: { oids: { '1.2.3': 'x' } } });
    assert.equal(req.mode === 'identity' && req.extensions.length, 1);
  });
});
