// The in-toto v1 statement cosign v3 signs for an image (formats b.6): no subject name,
// annotations always present, `"predicate":{}`. Field order follows protojson.
import { COSIGN_SIGN_PREDICATE } from '../oci/cosign-layout.ts';
import { digestHex } from '../oci/digest.ts';

export function buildSignStatement(digest: string, annotations: Record<string, string>): Uint8Array {
  const sorted = Object.fromEntries(Object.keys(annotations).sort().map((k) => [k, annotations[k]]));
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ digest: { sha256: digestHex(digest) }, annotations: sorted }],
    predicateType: COSIGN_SIGN_PREDICATE,
    predicate: {},
  };
  return Buffer.from(JSON.stringify(statement));
}
