// Predicate construction for `--type` (cosign pkg/cosign/attestation/attestation.go; spec
// docs/formats/cosign-formats.md d.1); the keywords and their URIs are in predicate-types.ts.
//
// Deliberate difference: cosign runs SLSA predicates through in-toto's protobuf types, which drops
// fields it does not know and rewrites numbers as floats. seal signs the JSON document as given.
import { inputError } from '../errors.ts';
import { formatRfc3339, isObject } from '../scan/findings.ts';
import { type BuildVulnOptions, type TimeSource, buildVulnPredicateFromBytes } from '../scan/vuln.ts';
import { type VexDocument, isOpenVexPredicateType, validateVexDocument } from '../vex/document.ts';
import { resolvePredicateType } from './predicate-types.ts';

export { CUSTOM_PREDICATE_TYPE, PREDICATE_ALIASES, aliasesFor, resolvePredicateType } from './predicate-types.ts';

const LINK_FIELDS = ['_type', 'name', 'materials', 'products', 'byproducts', 'command', 'environment'];

export interface BuildPredicateOptions {
  now: Date;
  /** Named in error messages ("predicate file X is not a JSON object"). */
  filename?: string;
  /** For --type vuln: scan time overrides. */
  scanStarted?: BuildVulnOptions['scanStarted'];
  scanFinished?: BuildVulnOptions['scanFinished'];
}

export interface BuiltPredicate {
  predicateType: string;
  predicate: unknown;
  /** Set for --type vuln: where the scan times came from and what was scanned. */
  vuln?: { timeSource: TimeSource; input: string; scanner: { name: string; version: string }; findings: number };
  /** Set for OpenVEX: the validated document (the predicate itself). */
  openvex?: VexDocument;
}

/** "predicate file scan.json", or "the predicate on stdin" for `--predicate -`. */
const predicateName = (filename: string): string => (filename === '-' ? 'the predicate on stdin' : `predicate file ${filename}`);

function parseJsonObject(bytes: Uint8Array, filename: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw inputError(`${predicateName(filename)} is ${bytes.length === 0 ? 'empty' : 'not valid JSON'}`, { cause: err, code: 'PREDICATE_NOT_JSON' });
  }
  if (!isObject(value)) {
    throw inputError(`predicate file ${filename} is not a JSON object`, { code: 'PREDICATE_NOT_OBJECT' });
  }
  return value;
}

/** Builds the predicate cosign's `attest --type T --predicate FILE` would (d.1). */
export function buildPredicate(type: string, fileBytes: Uint8Array, opts: BuildPredicateOptions): BuiltPredicate {
  const predicateType = resolvePredicateType(type);
  const filename = opts.filename ?? 'predicate';
  if (isOpenVexPredicateType(predicateType)) {
    // Signed as given once it passes the OpenVEX 0.2 rules: a gate will act on it.
    const doc = validateVexDocument(parseJsonObject(fileBytes, filename), `predicate file ${filename}`);
    return { predicateType, predicate: doc, openvex: doc };
  }
  switch (type) {
    case 'custom':
      // Invalid UTF-8 becomes U+FFFD, as Go's JSON encoder does with string(bytes).
      return {
        predicateType,
        predicate: { Data: new TextDecoder().decode(fileBytes), Timestamp: formatRfc3339(opts.now) },
      };
    case 'spdx':
      // Tag-value SPDX is carried as one JSON string.
      return { predicateType, predicate: new TextDecoder().decode(fileBytes) };
    case 'link': {
      const link = parseJsonObject(fileBytes, filename);
      const missing = LINK_FIELDS.filter((k) => !(k in link));
      if (missing.length) {
        throw inputError(`predicate file ${filename} is not an in-toto link: missing ${missing.join(', ')}`, {
          code: 'PREDICATE_LINK_FIELDS',
        });
      }
      return { predicateType, predicate: link };
    }
    case 'slsaprovenance1': {
      const doc = parseJsonObject(fileBytes, filename);
      renameInvocationId(doc);
      return { predicateType, predicate: doc };
    }
    case 'vuln': {
      const built = buildVulnPredicateFromBytes(fileBytes, {
        now: opts.now,
        filename,
        scanStarted: opts.scanStarted,
        scanFinished: opts.scanFinished,
      });
      return {
        predicateType,
        predicate: built.predicate,
        vuln: { timeSource: built.timeSource, input: built.input, scanner: built.scanner, findings: built.findings },
      };
    }
    default:
      return { predicateType, predicate: parseJsonObject(fileBytes, filename) };
  }
}

/**
 * SLSA v1 spells it `invocationId`; early generators wrote `invocationID`. cosign renames it before
 * parsing (otherwise protobuf would drop it); seal does the same rename and keeps everything else.
 */
function renameInvocationId(doc: Record<string, unknown>): void {
  const run = doc.runDetails;
  if (!isObject(run) || !isObject(run.metadata)) return;
  const meta = run.metadata;
  if ('invocationID' in meta && !('invocationId' in meta)) {
    const renamed: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(meta)) renamed[k === 'invocationID' ? 'invocationId' : k] = v;
    run.metadata = renamed;
  }
}
