// `--type` keywords and predicate type URIs (cosign cmd/cosign/cli/options/predicate.go), apart
// from building predicates (predicates.ts): verify-attestation and download attestation resolve a
// --type without loading the scanner report and OpenVEX code that building needs.
import { usageError } from '../errors.ts';

export const CUSTOM_PREDICATE_TYPE = 'https://cosign.sigstore.dev/attestation/v1';

/** cosign's vulnerability predicate (src/scan/vuln.ts builds and reads it). */
export const VULN_PREDICATE_TYPE = 'https://cosign.sigstore.dev/attestation/vuln/v1';

/** cosign's --type keywords → predicateType URIs. */
export const PREDICATE_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  custom: CUSTOM_PREDICATE_TYPE,
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  link: 'https://in-toto.io/Link/v1',
  spdx: 'https://spdx.dev/Document',
  spdxjson: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
  vuln: VULN_PREDICATE_TYPE,
  openvex: 'https://openvex.dev/ns',
});

/** An absolute URI: a scheme, a colon, and something after it (RFC 3986 §4.3). */
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/;

/** Maps a --type value to its predicateType URI: a keyword, or any absolute URI verbatim. */
export function resolvePredicateType(type: string): string {
  const alias = PREDICATE_ALIASES[type];
  if (alias) return alias;
  if (ABSOLUTE_URI.test(type)) return type;
  throw usageError(`invalid predicate type: ${JSON.stringify(type)}`, {
    code: 'PREDICATE_TYPE_INVALID',
    hint: `use one of ${Object.keys(PREDICATE_ALIASES).join(', ')}, or an absolute URI such as https://example.com/my-predicate/v1`,
  });
}

/** The keywords that map to a URI, for messages like "found: slsaprovenance1". */
export function aliasesFor(uri: string): string[] {
  return Object.entries(PREDICATE_ALIASES)
    .filter(([, u]) => u === uri)
    .map(([k]) => k);
}
