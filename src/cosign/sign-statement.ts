// The in-toto v1 statement cosign v3 signs for an image (formats b.6): no subject name,
// annotations always present (sorted), `"predicate":{}`. buildStatement fixes protojson's order.
import { buildStatement } from '../attest/statement.ts';
import { COSIGN_SIGN_PREDICATE } from './layout.ts';
import { digestHex } from '../oci/digest.ts';

export function buildSignStatement(digest: string, annotations: Record<string, string>): Uint8Array {
  const sorted = Object.fromEntries(
    Object.keys(annotations)
      .sort()
      .map((k) => [k, annotations[k]]),
  );
  return buildStatement({
    subject: [{ digest: { sha256: digestHex(digest) }, annotations: sorted }],
    predicateType: COSIGN_SIGN_PREDICATE,
    predicate: {},
    format: 'bundle',
  }).bytes;
}
