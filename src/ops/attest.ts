// seal attest: wrap a predicate in an in-toto statement about an image, sign it as a DSSE
// envelope and store it as a `.att` layer (legacy) or a Sigstore bundle referrer.
import { buildPredicate, type BuiltPredicate } from '../attest/predicates.ts';
import { buildStatement, imageSubject, IN_TOTO_PAYLOAD_TYPE } from '../attest/statement.ts';
import { openImage } from '../cosign/image.ts';
import { readInput } from '../fs/read-input.ts';
import { appendLegacyLayer, readLegacyLayers } from '../cosign/legacy.ts';
import { attachBundle, listBundles } from '../cosign/referrer-bundles.ts';
import { inputError } from '../errors.ts';
import type { VexDocument } from '../vex/document.ts';
import { digestNamedBy, mentionsImage } from '../vex/match.ts';
import type { Log } from '../log.ts';
import { ANNOTATION, DSSE_MEDIA_TYPE } from '../cosign/layout.ts';
import { sha256Digest } from '../oci/digest.ts';
import { repositoryName } from '../oci/reference.ts';
import { detachReferrer } from '../oci/referrers.ts';
import type { StoreOptions } from '../oci/store.ts';
import type { OpEnv } from './op-env.ts';
import type { SignatureFormat } from './sign.ts';
import { openSigner } from './signing/open.ts';
import type { SigningOptions } from './signing/types.ts';

export interface AttestOptions {
  image: string;
  /** The predicate file, or `-` for stdin. */
  predicate: string;
  type: string;
  replace: boolean;
  format: SignatureFormat;
  store: StoreOptions;
  scanStarted?: string;
  scanFinished?: string;
  now?: Date;
  signing: SigningOptions;
  /** false: sign but write nothing to the store; the result carries the document (cosign's --no-upload). */
  upload?: boolean;
}

export interface AttestResult {
  image: string;
  digest: string;
  predicateType: string;
  format: SignatureFormat;
  location: string;
  replaced: number;
  /** With upload false: the DSSE envelope (legacy) or the Sigstore bundle (bundle format), as JSON text. */
  document?: string;
}

const TIME_SOURCE: Record<string, string> = {
  scan: 'the scan report itself',
  flags: '--scan-started/--scan-finished',
  predicate: 'the predicate metadata',
  now: 'the current time, because neither the report nor the flags give one',
};

export function describeVuln(built: BuiltPredicate): string | undefined {
  if (!built.vuln) return undefined;
  const v = built.vuln;
  return `Vulnerability scan from ${v.input} (${v.scanner.name} ${v.scanner.version || '?'}, ${v.findings} findings); scan times from ${TIME_SOURCE[v.timeSource] ?? v.timeSource}`;
}

/**
 * An OpenVEX document attached to an image must be about it: a product naming another image (by
 * digest) is refused, since the gate would ignore it. Package products and statements without
 * products are about this image through the attestation's subject.
 */
function checkVexProducts(doc: VexDocument, digest: string, name: string, log: Log): void {
  doc.statements.forEach((s, i) => {
    if (mentionsImage(s, digest) !== 'other') return;
    const other = (s.products ?? []).map((p) => p['@id'] ?? p.identifiers?.purl).find((id) => digestNamedBy(id));
    throw inputError(`predicate file ${name}: statements[${i}] (${s.vulnerability.name}) is about ${other}, not this image ${digest}`, {
      code: 'VEX_OTHER_IMAGE',
      hint: 'make the product this image (seal vex create IMAGE ...), or attest the document to the image it names',
    });
  });
  const summary = doc.statements.map((s) => `${s.vulnerability.name} ${s.status}${s.justification ? ` (${s.justification})` : ''}`);
  log.info(`OpenVEX document by ${doc.author}, ${doc.statements.length} statement(s): ${summary.join(', ')}`);
}

export async function attestImage(opts: AttestOptions, env: OpEnv): Promise<AttestResult> {
  const { log } = env;
  // Chosen first: a missing identity token, or the public-log notice, comes before any input is read.
  const signer = await openSigner(opts.signing, env, { command: 'attest', legacyFormat: opts.format === 'legacy' });
  try {
    const predicate = await readInput(opts.predicate, env, 'predicate file');
    log.info(`Using payload from: ${opts.predicate}`);
    const now = opts.now ?? new Date();
    const built = buildPredicate(opts.type, predicate, {
      now,
      filename: opts.predicate,
      scanStarted: opts.scanStarted,
      scanFinished: opts.scanFinished,
    });
    const vulnNote = describeVuln(built);
    if (vulnNote) log.info(vulnNote);
    if (built.vuln?.timeSource === 'now') log.warn('the scan time is the time of attesting; pass --scan-finished to record when the scan ran');

    const img0 = built.openvex ? await openImage(opts.image, opts.store, log) : undefined;
    if (built.openvex) checkVexProducts(built.openvex, img0!.digest, opts.predicate, log);
    // After the predicate is validated, so a bad file fails before a password prompt.
    await signer.prepare();
    const img = img0 ?? (await openImage(opts.image, opts.store, log));
    const store = img.attachStore;
    const write = { log, signal: opts.store.signal };
    const subject = imageSubject(repositoryName(img.ref), img.digest);
    const { predicateType } = built;

    if (opts.format === 'legacy') {
      const { bytes: statement } = buildStatement({ subject: [subject], predicateType, predicate: built.predicate, format: 'legacy' });
      // Keyless or logged: the bundle's envelope becomes the layer blob (it is what Rekor logged as a
      // dsse entry) and its certificate, Rekor entry and timestamp become annotations, as cosign v2 does.
      const signed = await signer.legacyAttestation(statement, IN_TOTO_PAYLOAD_TYPE);
      const envelope = signed.envelope;
      if (opts.upload === false) {
        return {
          image: opts.image,
          digest: img.digest,
          predicateType,
          format: 'legacy',
          location: '',
          replaced: 0,
          document: Buffer.from(envelope).toString('utf8'),
        };
      }
      const annotations = { ...signed.annotations, [ANNOTATION.signature]: '', [ANNOTATION.predicateType]: predicateType };
      const layer = { mediaType: DSSE_MEDIA_TYPE, size: envelope.length, digest: sha256Digest(envelope), annotations };
      const same = (l: { annotations?: Record<string, string> }) => l.annotations?.[ANNOTATION.predicateType] === predicateType;
      const replaced = opts.replace ? (await readLegacyLayers(store, img.digest, 'att')).layers.filter(same).length : 0;
      const drop = opts.replace ? same : undefined;
      log.info(`Pushing attestation (${predicateType}) for ${img.digest} to ${store.name}`);
      const { tag } = await appendLegacyLayer(store, img.digest, 'att', layer, envelope, { ...write, drop });
      if (opts.replace) log.info(`Replaced ${replaced} earlier ${predicateType} attestation(s)`);
      return { image: opts.image, digest: img.digest, predicateType, format: 'legacy', location: `${store.name}:${tag}`, replaced };
    }

    const { bytes: statement } = buildStatement({ subject: [subject], predicateType, predicate: built.predicate, format: 'bundle' });
    const bundle = await signer.dsseBundle(statement, IN_TOTO_PAYLOAD_TYPE);
    if (opts.upload === false) {
      return {
        image: opts.image,
        digest: img.digest,
        predicateType,
        format: 'bundle',
        location: '',
        replaced: 0,
        document: Buffer.from(bundle).toString('utf8'),
      };
    }
    log.info(`Pushing attestation bundle (${predicateType}) for ${img.digest} to ${store.name} as a referrer`);
    const desc = await attachBundle(store, img.descriptor, bundle, { predicateType, now }, write);
    let replaced = 0;
    if (opts.replace) {
      for (const old of await listBundles(store, img.digest, log)) {
        if (old.predicateType !== predicateType || old.manifest.digest === desc.digest) continue;
        await store.deleteManifest(old.manifest.digest);
        await detachReferrer(store, img.digest, old.manifest.digest, write);
        replaced++;
      }
      log.info(`Replaced ${replaced} earlier ${predicateType} attestation(s)`);
    }
    return { image: opts.image, digest: img.digest, predicateType, format: 'bundle', location: `${store.name}@${desc.digest}`, replaced };
  } finally {
    await signer.close();
  }
}
