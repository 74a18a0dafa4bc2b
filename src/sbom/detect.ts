// SBOM types and media types for `attach sbom` / `download sbom` (docs/formats/cosign-formats.md f.1). cosign
// decides the media type from --type (default spdx), --input-format and a `.json` file suffix only;
// seal also reads the content, so an unlabelled SPDX JSON file is not stored as `text/spdx`.
import { inputError, usageError } from '../errors.ts';

export const SBOM_MEDIA_TYPES = {
  spdx: 'text/spdx',
  spdxJson: 'text/spdx+json',
  cyclonedxXml: 'application/vnd.cyclonedx+xml',
  cyclonedxJson: 'application/vnd.cyclonedx+json',
  syftJson: 'application/vnd.syft+json',
} as const;

export type SbomType = 'spdx' | 'cyclonedx' | 'syft';
export type SbomFormat = 'json' | 'xml' | 'text';

export const SBOM_TYPES: readonly SbomType[] = ['spdx', 'cyclonedx', 'syft'];
const FORMATS_BY_TYPE: Record<SbomType, readonly SbomFormat[]> = {
  spdx: ['json', 'text'],
  cyclonedx: ['json', 'xml'],
  syft: ['json'],
};

export interface DetectedSbom {
  type: SbomType;
  format: SbomFormat;
  mediaType: string;
  /** Set when the content contradicts what was given explicitly (explicit values still win). */
  warnings: string[];
}

export interface DetectSbomOptions {
  type?: string;
  inputFormat?: string;
  filename?: string;
}

/** The media type for a type/format pair, with cosign's error for an invalid pair. */
export function sbomMediaType(type: SbomType, format: SbomFormat): string {
  checkFormat(type, format);
  if (type === 'spdx') return format === 'json' ? SBOM_MEDIA_TYPES.spdxJson : SBOM_MEDIA_TYPES.spdx;
  if (type === 'cyclonedx') return format === 'json' ? SBOM_MEDIA_TYPES.cyclonedxJson : SBOM_MEDIA_TYPES.cyclonedxXml;
  return SBOM_MEDIA_TYPES.syftJson;
}

/** Media type → type and format, for `download sbom` and for naming what was found. */
export function sbomFromMediaType(mediaType: string): { type: SbomType; format: SbomFormat } | undefined {
  switch (mediaType.split(';')[0].trim().toLowerCase()) {
    case SBOM_MEDIA_TYPES.spdx:
      return { type: 'spdx', format: 'text' };
    case SBOM_MEDIA_TYPES.spdxJson:
      return { type: 'spdx', format: 'json' };
    case SBOM_MEDIA_TYPES.cyclonedxXml:
      return { type: 'cyclonedx', format: 'xml' };
    case SBOM_MEDIA_TYPES.cyclonedxJson:
      return { type: 'cyclonedx', format: 'json' };
    case SBOM_MEDIA_TYPES.syftJson:
      return { type: 'syft', format: 'json' };
    default:
      return undefined;
  }
}

function checkFormat(type: SbomType, format: string): asserts format is SbomFormat {
  const allowed = FORMATS_BY_TYPE[type];
  if (!(allowed as readonly string[]).includes(format)) {
    throw usageError(`invalid SBOM input format: ${JSON.stringify(format)}, expected (${allowed.join('|')})`, {
      code: 'SBOM_FORMAT_INVALID',
      hint: `a ${type} SBOM can be ${allowed.join(' or ')}`,
    });
  }
}

function checkType(type: string): asserts type is SbomType {
  if (!(SBOM_TYPES as readonly string[]).includes(type)) {
    throw usageError(`unknown SBOM type: ${JSON.stringify(type)}, expected (${SBOM_TYPES.join('|')})`, {
      code: 'SBOM_TYPE_INVALID',
    });
  }
}

/** What cosign assumes without --input-format or a `.json` name. */
const COSIGN_DEFAULT_FORMAT: Record<SbomType, SbomFormat> = { spdx: 'text', cyclonedx: 'xml', syft: 'json' };

/** Only this much of a text or XML SBOM is looked at to recognise it. */
const SNIFF_BYTES = 64 * 1024;

/** Recognises an SBOM from its bytes; undefined when it is none of the known kinds. */
export function sniffSbom(bytes: Uint8Array): { type: SbomType; format: SbomFormat } | undefined {
  const head = new TextDecoder()
    .decode(bytes.subarray(0, SNIFF_BYTES))
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (head.startsWith('{')) {
    let doc: unknown;
    try {
      doc = JSON.parse(new TextDecoder().decode(bytes).replace(/^\uFEFF/, ''));
    } catch {
      return undefined;
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
    const d = doc as Record<string, unknown>;
    if (typeof d.spdxVersion === 'string') return { type: 'spdx', format: 'json' };
    if (d.bomFormat === 'CycloneDX') return { type: 'cyclonedx', format: 'json' };
    const descriptor = d.descriptor as Record<string, unknown> | undefined;
    if (Array.isArray(d.artifacts) && descriptor && descriptor.name === 'syft') return { type: 'syft', format: 'json' };
    return undefined;
  }
  if (head.startsWith('<')) {
    // The root element, skipping the XML declaration, comments and processing instructions.
    const root = /^(?:\s*(?:<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>))*\s*<([A-Za-z_][\w.-]*:)?bom\b[^>]*>/.exec(head);
    if (root && /xmlns(?::[\w.-]+)?\s*=\s*["']http:\/\/cyclonedx\.org\/schema\/bom\//.test(root[0])) {
      return { type: 'cyclonedx', format: 'xml' };
    }
    return undefined;
  }
  if (/^SPDXVersion:\s*SPDX-/m.test(head)) return { type: 'spdx', format: 'text' };
  return undefined;
}

/**
 * Decides type, format and media type. Explicit values follow cosign's rules (format from
 * --input-format, else JSON when the file name ends in `.json`); whatever is not given comes from
 * the content. With nothing given and unrecognisable content it is an error, not cosign's `spdx`.
 */
export function detectSbom(bytes: Uint8Array, opts: DetectSbomOptions = {}): DetectedSbom {
  const warnings: string[] = [];
  const sniffed = sniffSbom(bytes);
  const name = opts.filename ?? 'the SBOM';
  if (opts.type !== undefined) checkType(opts.type);
  const type: SbomType | undefined = (opts.type as SbomType | undefined) ?? sniffed?.type;
  if (!type) {
    throw inputError(`cannot tell what kind of SBOM ${name} is`, {
      code: 'SBOM_UNKNOWN',
      hint: 'expected SPDX (JSON or tag-value), CycloneDX (JSON or XML) or syft JSON; or give --type spdx|cyclonedx|syft',
    });
  }
  if (opts.inputFormat !== undefined) checkFormat(type, opts.inputFormat);
  let format: SbomFormat;
  if (opts.inputFormat !== undefined) format = opts.inputFormat as SbomFormat;
  else if (opts.filename?.toLowerCase().endsWith('.json')) format = 'json';
  else if (sniffed && sniffed.type === type) format = sniffed.format;
  else format = COSIGN_DEFAULT_FORMAT[type];
  if (sniffed && (sniffed.type !== type || sniffed.format !== format)) {
    warnings.push(`${name} looks like ${sniffed.type} ${sniffed.format}, but it is being stored as ${type} ${format}`);
  } else if (!sniffed) {
    warnings.push(`${name} is not recognisable as ${type} ${format}; storing it as given`);
  }
  return { type, format, mediaType: sbomMediaType(type, format), warnings };
}
