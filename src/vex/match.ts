// Does a VEX statement speak about this finding in this image? A statement applies when its
// vulnerability (name, @id or an alias) is one of the finding's ids (the scanner's id or a related
// id such as the CVE behind a GHSA) and one of its products is
//   - this image (a pkg:oci purl, `name@sha256:…` or sha-256 hash with the image digest), with no
//     subcomponents or a subcomponent matching the finding's package purl; or
//   - the finding's package itself (a package purl as product, as grype accepts); or
//   - absent, when the document is an attestation about this image: the in-toto subject is the
//     product (OpenVEX spec, "Inheritance Flow": the encapsulating document names the product).
// Package purls compare as go-vex's PurlMatches does (src/vex/purl.ts).
import type { Finding } from '../scan/findings.ts';
import type { VexComponent, VexStatement } from './document.ts';
import { type Purl, parsePurl, purlMatches } from './purl.ts';

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const HEX = /^[0-9a-f]{64}$/;

export type ImageRelation = 'this' | 'other' | 'none';

/** The image digest a product identifier names, if it names one: `sha256:<hex>`. */
export function digestNamedBy(id: string | undefined): string | undefined {
  if (!id) return undefined;
  const purl = parsePurl(id);
  if (purl) {
    if (purl.type !== 'oci') return undefined;
    const v = purl.version.toLowerCase();
    return DIGEST.test(v) ? v : undefined;
  }
  const at = id.lastIndexOf('@');
  const tail = (at >= 0 ? id.slice(at + 1) : id).toLowerCase();
  if (DIGEST.test(tail)) return tail;
  return undefined;
}

interface Parsed {
  /** Image digests the component names (pkg:oci purls, name@sha256:…). */
  digests: string[];
  /** Its package purls (not pkg:oci). */
  purls: Purl[];
}

// Components are parsed once: a gate meets the same statement once per finding it might cover.
const parsedComponents = new WeakMap<VexComponent, Parsed>();

function parsed(c: VexComponent): Parsed {
  let p = parsedComponents.get(c);
  if (!p) {
    const ids = [c['@id'], c.identifiers?.purl];
    p = {
      digests: ids.map(digestNamedBy).filter((d): d is string => d !== undefined),
      purls: ids.map((id) => (id ? parsePurl(id) : undefined)).filter((x): x is Purl => x !== undefined && x.type !== 'oci'),
    };
    parsedComponents.set(c, p);
  }
  return p;
}

/** Whether a product names this image, another image, or no image at all. */
export function imageRelation(c: VexComponent, digest: string): ImageRelation {
  const want = digest.toLowerCase();
  let rel: ImageRelation = 'none';
  for (const named of parsed(c).digests) {
    if (named === want) return 'this';
    rel = 'other';
  }
  const hash = c.hashes?.['sha-256']?.toLowerCase();
  if (hash && HEX.test(hash) && `sha256:${hash}` === want) return 'this';
  return rel;
}

/** The product's own image-naming identifier, for messages. */
export function describeComponent(c: VexComponent): string {
  return c['@id'] ?? c.identifiers?.purl ?? c.identifiers?.cpe23 ?? c.identifiers?.cpe22 ?? '(unnamed product)';
}

/** A product or subcomponent names the finding's package (by purl). */
export function componentMatchesPackage(c: VexComponent, pkg: Purl | undefined): boolean {
  if (!pkg) return false;
  return parsed(c).purls.some((p) => purlMatches(p, pkg));
}

export const upper = (s: string): string => s.trim().toUpperCase();

const isCve = (id: string): boolean => /^CVE-\d+-\d+$/.test(id);

/**
 * The ids a finding is known by: the scanner's id and its related ids, except that a CVE finding
 * does not take another CVE as an alias. Two CVE ids are two vulnerabilities by definition; grype
 * relates some (RHEL advisories group several CVEs), and a statement about one must not silence
 * the other.
 */
export function findingIds(f: Finding): string[] {
  const id = upper(f.id);
  return [id, ...(f.aliases ?? []).map(upper).filter((a) => !(isCve(id) && isCve(a)))];
}

export interface Applicability {
  applies: boolean;
  /** Set when the statement's products name images, none of them this one. */
  otherImage?: string;
}

/**
 * Whether the statement's products cover this finding in the image `digest` (its vulnerability is
 * matched by the caller). `productless` says what a statement without products means: the image
 * (an attestation about it) or nothing (a bare file). `pkg`: the finding's purl, parsed once by
 * callers that test many statements.
 */
export function productsApply(
  s: VexStatement,
  f: Finding,
  digest: string,
  productless: 'image' | 'none',
  pkg: Purl | undefined = f.purl ? parsePurl(f.purl) : undefined,
): Applicability {
  const products = s.products ?? [];
  if (products.length === 0) return { applies: productless === 'image' };
  let otherImage: string | undefined;
  for (const p of products) {
    const rel = imageRelation(p, digest);
    if (rel === 'this') {
      const subs = p.subcomponents ?? [];
      if (subs.length === 0 || subs.some((sc) => componentMatchesPackage(sc, pkg))) return { applies: true };
    } else if (rel === 'other') {
      otherImage ??= describeComponent(p);
    } else if (componentMatchesPackage(p, pkg)) {
      return { applies: true };
    }
  }
  return otherImage ? { applies: false, otherImage } : { applies: false };
}

/** 'this' when some product names this image, 'other' when products name only other images. */
export function mentionsImage(s: VexStatement, digest: string): ImageRelation {
  const products = s.products ?? [];
  let rel: ImageRelation = 'none';
  for (const p of products) {
    const r = imageRelation(p, digest);
    if (r === 'this') return 'this';
    if (r === 'other') rel = 'other';
  }
  return rel;
}
