import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { SealError } from '../../../src/errors.ts';
import { checkSignerIdentity, signerRequirement, type VerifyPolicy } from '../../../src/sigstore/identity-policy.ts';

const ISS = 'https://github.com/login/oauth';
const usage = (re: RegExp) => (err: unknown) => err instanceof SealError && err.kind === 'usage' && re.test(err.message);

function identityReq(policy: VerifyPolicy) {
  const req = signerRequirement(policy);
  assert.equal(req.mode, 'identity');
  return req as Extract<typeof req, { mode: 'identity' }>;
}
const passes = (policy: VerifyPolicy, identity: string, issuer = ISS): boolean => {
  try {
    checkSignerIdentity(identityReq(policy), { identity, issuer });
    return true;
  } catch (err) {
    assert.ok(err instanceof SealError && err.kind === 'verification');
    return false;
  }
};

describe('signerRequirement', () => {
  it('rejects contradictory or incomplete policies as usage errors', () => {
    assert.throws(() => signerRequirement({}), usage(/no verification policy/));
    assert.throws(() => signerRequirement({ trustedRootPath: 'x' }), usage(/no verification policy/));
    assert.throws(() => signerRequirement({ certificateIdentity: 'a@b.c' }), usage(/needs the OIDC issuer/));
    assert.throws(() => signerRequirement({ certificateIdentityRegexp: '.*' }), usage(/needs the OIDC issuer/));
    assert.throws(() => signerRequirement({ certificateOidcIssuer: ISS }), usage(/needs a certificate identity/));
    assert.throws(() => signerRequirement({ publicKeyPem: 'PEM', certificateIdentity: 'a' }), usage(/both given/));
    assert.throws(() => signerRequirement({ publicKeyPem: 'PEM', certificateOidcIssuer: ISS }), usage(/both given/));
    assert.throws(
      () => signerRequirement({ certificateIdentity: 'a', certificateIdentityRegexp: 'a', certificateOidcIssuer: ISS }),
      usage(/identity and --certificate-identity-regexp/),
    );
    assert.throws(
      () => signerRequirement({ certificateIdentity: 'a', certificateOidcIssuer: ISS, certificateOidcIssuerRegexp: '.*' }),
      usage(/issuer and --certificate-oidc-issuer-regexp/),
    );
    assert.throws(() => signerRequirement({ publicKeyPem: '  \n' }), usage(/empty/));
    assert.throws(() => signerRequirement({ certificateIdentityRegexp: '(', certificateOidcIssuer: ISS }), usage(/not a valid regular expression/));
  });

  it('returns key mode for a key alone', () => {
    assert.deepEqual(signerRequirement({ publicKeyPem: 'PEM', ignoreTlog: true }), { mode: 'key', publicKeyPem: 'PEM' });
  });
});

describe('identity matching is anchored', () => {
  it('matches an exact identity only in full, with regex characters taken literally', () => {
    const p = { certificateIdentity: 'cody@soyland.com', certificateOidcIssuer: ISS };
    assert.equal(passes(p, 'cody@soyland.com'), true);
    assert.equal(passes(p, 'cody@soyland.co'), false);
    assert.equal(passes(p, 'xcody@soyland.com'), false);
    assert.equal(passes(p, 'cody@soyland.com.evil'), false);
    assert.equal(passes(p, 'cody@soylandXcom'), false, 'the dot is literal');
  });

  it('wraps an identity regexp as ^(?:…)$, so alternations cannot escape the anchors', () => {
    const p = { certificateIdentityRegexp: '.*@soyland\\.com', certificateOidcIssuer: ISS };
    assert.equal(passes(p, 'cody@soyland.com'), true);
    assert.equal(passes(p, 'cody@soyland.com.attacker.net'), false);
    const alt = { certificateIdentityRegexp: 'a@x\\.com|b@x\\.com', certificateOidcIssuer: ISS };
    assert.equal(passes(alt, 'b@x.com'), true);
    assert.equal(passes(alt, 'evil-a@x.com'), false);
    assert.equal(passes(alt, 'b@x.com.evil'), false);
    assert.equal(passes({ certificateIdentityRegexp: 'soyland', certificateOidcIssuer: ISS }, 'cody@soyland.com'), false);
  });

  it('matches the issuer exactly or by anchored regexp', () => {
    assert.equal(passes({ certificateIdentity: 'a', certificateOidcIssuer: ISS }, 'a', ISS), true);
    assert.equal(passes({ certificateIdentity: 'a', certificateOidcIssuer: ISS }, 'a', `${ISS}/x`), false);
    assert.equal(passes({ certificateIdentity: 'a', certificateOidcIssuer: 'https://github.com' }, 'a', ISS), false);
    const re = { certificateIdentity: 'a', certificateOidcIssuerRegexp: 'https://github\\.com/.*' };
    assert.equal(passes(re, 'a', ISS), true);
    assert.equal(passes(re, 'a', 'https://evil.example/?https://github.com/x'), false);
  });

  it('fails a certificate without identity or issuer, naming what was expected', () => {
    const req = identityReq({ certificateIdentity: 'a', certificateOidcIssuer: ISS });
    assert.throws(() => checkSignerIdentity(req, { issuer: ISS }), /certificate identity \(none\) does not match "a"/);
    assert.throws(() => checkSignerIdentity(req, { identity: 'a' }), /OIDC issuer \(none\) does not match/);
  });
});
