// Appending to a tagged list (the layers of a `.sig`/`.att` image, the manifests of a referrers
// fallback index) without losing anybody's entry. The argument, with the failure cases, is in
// docs/design/safe-update.md; in short:
//
// The registry protocol has no locking and most registries ignore If-Match, so two writers that
// read the same version both PUT, and the later PUT drops the earlier writer's entry (cosign
// issue 2432). Each writer here:
//   1. reads the list and merges: the current entries, every entry it has ever seen in this
//      run (so it restores entries that another writer's stale PUT dropped), and its own;
//   2. builds the new document (uploading its config blob), then checks with a HEAD that the
//      tag still points where it read, so its own stale window is one HEAD plus one PUT; and
//      checks again whenever its copy lay idle after the answer that showed it for longer than
//      two of the registry's quickest answers (a process starved of CPU, a slow build);
//   3. PUTs, with If-Match; where the registry honours If-Match (probed once per registry and
//      process) or the store is an OCI layout, that write is a compare-and-swap and it is done;
//   4. otherwise waits a settle period of three times its measured read-modify-write window
//      (at least 60 ms), re-reads, and is done when its own entries and every entry it has seen
//      are present and nobody else wrote meanwhile. A loss, or a write by someone else (the
//      registry's answers show a concurrent writer), switches this update to the long settle
//      period (at least 1.5 s) and re-checks after it.
//   5. while its own copy is stale for longer than a quick write takes (its PUT held in the
//      network, a slow build), counted from the answer that showed it (from the request's start
//      when that was slow), looks at the tag (a HEAD) every 20 ms or so, paced by the registry's
//      quickest answers; whatever lands meanwhile, which its PUT may drop, it writes back
//      (watchTag): at once, or after its settle when it already contends. The writer whose
//      write is late is the one that knows what it may have dropped, so a quick writer's short
//      settle (at least 60 ms) is enough however long somebody else's PUT was held.
// A single signer pays no fixed wait, only ~3 round trips' worth; concurrent signers see each
// other in the registry's answers and keep the long settle period they had before.
import { SealError } from '../errors.ts';
import { sleep as sleepFor } from '../util/sleep.ts';
import type { Log } from '../log.ts';
import type { ImageStore } from './store.ts';
import { sha256Digest } from './digest.ts';
import type { Descriptor, FetchedManifest } from './types.ts';

export interface ListUpdate {
  tag: string;
  /** The entries of the manifest or index behind the tag. */
  entriesOf(doc: FetchedManifest): Descriptor[];
  /** Builds (and uploads whatever else it needs, e.g. a config blob) the new document. */
  build(entries: Descriptor[], current: FetchedManifest | null): Promise<{ bytes: Uint8Array; mediaType: string }>;
  /** Entries that must be present when done. */
  add: Descriptor[];
  /** Entries to drop on purpose (attest --replace); never restored. */
  drop?: (entry: Descriptor) => boolean;
  /** Entries equal under this key are the same entry (default: digest plus annotations). */
  keyOf?: (entry: Descriptor) => string;
  /**
   * The document `build(add, null)` returns, built before the read: when the read finds no tag
   * (a first signature), it is written at once, so the write follows the read with nothing in
   * between (building may upload a config blob: two more requests inside the stale window).
   * `startedAt` (performance.now() when its build began) counts in this writer's measured window:
   * the settle must outlast writers that build after their read, and they take that long.
   */
  whenAbsent?: { bytes: Uint8Array; mediaType: string; startedAt: number };
  /**
   * Building uploads something (a config blob), so the tag is checked with a HEAD before the
   * write, keeping this writer's own stale window one HEAD plus one PUT (default true). A build
   * that only serialises (the referrers fallback index) is not worth the round trip.
   */
  buildUploads?: boolean;
}

export interface SafeUpdateOptions {
  log?: Log;
  /**
   * The settle period once a concurrent writer has been seen (default 1500 ms for registries, 0
   * for layouts); 0 turns the settle-and-recheck off altogether (stores with compare-and-swap).
   */
  settleMs?: number;
  /** The settle period before any concurrent writer is seen, as a multiple of this writer's read-modify-write window (default 3). */
  windowFactor?: number;
  maxAttempts?: number;
  signal?: AbortSignal;
  /**
   * Called once, when this writer's first write has landed and only the settle-and-confirm
   * remains (or the update is done without one). A caller that limits how many updates run at
   * once releases its slot here: the settle is a wait, and the settles of many images overlap.
   */
  onWritten?: () => void;
}

/** What one update did; for tests and benchmarks. */
export interface UpdateStats {
  attempts: number;
  /** A concurrent writer showed in the registry's answers. */
  contended: boolean;
  /** Milliseconds spent waiting in settle periods. */
  settledMs: number;
  /** The write was a compare-and-swap (layout, or a registry that honours If-Match). */
  conditional: boolean;
  /** HEAD checks made between a build that uploaded something and its write (one at most). */
  checks: number;
  /** HEAD checks made because our copy lay idle too long before its write (a loaded machine). */
  ageChecks: number;
  /** Looks at the tag while a write of ours was on its way (watchTag). */
  looks: number;
}

export const entryKey = (d: Descriptor): string => `${d.digest}|${canonicalAnnotations(d.annotations)}`;

function canonicalAnnotations(a: Record<string, string> | undefined): string {
  if (!a) return '';
  return JSON.stringify(
    Object.keys(a)
      .sort()
      .map((k) => [k, a[k]]),
  );
}

export const DEFAULT_SETTLE_MS = 1500;
export const DEFAULT_WINDOW_FACTOR = 3;
/**
 * The shortest settle before any other writer is seen. It must outlast the part of another
 * writer's stale window that its watch does not cover: up to WATCH_AFTER_MS (plus a request) before
 * its first look, WATCH_EVERY_MS between looks (docs/design/safe-update.md, "Watching").
 */
export const SETTLE_FLOOR_MS = 60;
/** A stale copy is watched once it has been stale this long (or two of the registry's quickest answers)... */
const WATCH_AFTER_MS = 25;
/**
 * ...every this many milliseconds, or as long as the quickest of the last few looks took (a
 * loaded registry or event loop is not flooded: its other writers are slowed alike), up to
 * WATCH_MAX_EVERY_MS...
 */
const WATCH_EVERY_MS = 20;
const WATCH_MAX_EVERY_MS = 250;
/**
 * ...with at most this many looks outstanding and this many in all per write. More than one: a
 * look answered 503 waits out the store's retry backoff (250 ms and more), and one stuck there
 * must not stop the next looks (waiting holds no connection).
 */
const WATCH_IN_FLIGHT = 4;
const WATCH_MAX_READS = 400;
/**
 * A copy grown old before its write is looked at again at most this many times per attempt, and
 * read again (the tag had moved) at most MAX_REREADS times per update: a registry that is always
 * slow cannot be outwaited, and under contention every look finds the tag moved; then the write
 * goes out as it is, watched.
 */
const MAX_AGE_CHECKS = 2;
const MAX_REREADS = 5;

const isPreconditionFailed = (err: unknown): boolean =>
  err instanceof SealError && (err.code === 'PRECONDITION_FAILED' || err.code === 'HTTP_412' || err.message.includes(': 412'));

/**
 * Per registry, whether it refuses a manifest PUT whose If-Match does not match (a real
 * compare-and-swap). Asked once per registry and session (RegistrySession capability), with a PUT
 * by digest of the manifest about to be tagged anyway and an If-Match no resource can have: a
 * registry that ignores the header stores it (harmless, it is content-addressed and tagged right
 * after), one that honours it answers 412. distribution 2.8 ignores it.
 */
async function honoursIfMatch(store: ImageStore, doc: { bytes: Uint8Array; mediaType: string }, log?: Log): Promise<boolean> {
  if (store.ref.kind !== 'registry') return false;
  const registry = store.ref.registry;
  const ask = async (): Promise<boolean> => {
    const honours = await store.putManifest(doc.bytes, doc.mediaType, { ifMatch: '"seal-probe-never-matches"' }).then(
      () => false,
      (err: unknown) => {
        if (isPreconditionFailed(err)) return true;
        throw err; // unknown: asked again next time
      },
    );
    log?.debug(`${registry} ${honours ? 'honours' : 'ignores'} If-Match on manifest PUTs`);
    return honours;
  };
  // A store without a session remembers nothing: it asks every time.
  return store.session ? store.session.capability('if-match', registry, ask) : ask();
}

export async function updateTaggedList(store: ImageStore, u: ListUpdate, opts: SafeUpdateOptions = {}): Promise<string> {
  return (await updateTaggedListWithStats(store, u, opts)).digest;
}

export async function updateTaggedListWithStats(store: ImageStore, u: ListUpdate, opts: SafeUpdateOptions = {}): Promise<UpdateStats & { digest: string }> {
  const keyOf = u.keyOf ?? entryKey;
  const drop = u.drop ?? (() => false);
  const longSettle = opts.settleMs ?? (store.atomicTagUpdates ? 0 : DEFAULT_SETTLE_MS);
  const factor = opts.windowFactor ?? DEFAULT_WINDOW_FACTOR;
  const maxAttempts = opts.maxAttempts ?? 30;
  const seen = new Map<string, Descriptor>();
  const ours = new Map(u.add.map((d) => [keyOf(d), d]));
  const stats: UpdateStats = { attempts: 0, contended: false, settledMs: 0, conditional: false, checks: 0, ageChecks: 0, looks: 0 };
  let wrote: string | undefined; // digest of our last write
  let checked = false; // the HEAD check before the PUT was made
  let attempted = false; // a write was sent (its answer may have been lost)
  let maxWindow = 0;
  let fastestRead = Infinity; // ms: the quickest read or HEAD of this update
  // The registry's pace: the quickest answer of this update or of the session (one slow read, from
  // a starved process or a loaded moment, must not make the watch and the age check lax).
  const sessionFastest = () => (store.ref.kind === 'registry' ? store.session?.fastestRoundTrip(store.ref.registry) : undefined) ?? Infinity;
  const pace = () => Math.min(fastestRead, sessionFastest());
  // How long our copy may lie after the answer that showed it before it is written: two of the
  // registry's quickest answers.
  const freshFor = () => Math.max(WATCH_AFTER_MS, 2 * (Number.isFinite(pace()) ? pace() : 0));
  // Since when our copy may be stale: the answer that showed it; or, when that request was slow
  // for this registry (more than twice the bound above), its start, since the registry may have
  // answered right then and the answer lain in a queue or a starved process.
  const staleSince = (sentAt: number, answeredAt: number) => (answeredAt - sentAt > 2 * freshFor() ? sentAt : answeredAt);
  let rereads = 0;
  let written = false;
  const landed = () => {
    if (written) return;
    written = true;
    opts.onWritten?.();
  };
  const contend = (why: string) => {
    if (!stats.contended) opts.log?.debug(`${u.tag}: ${why}; settling ${longSettle} ms from now on`);
    stats.contended = true;
  };
  const done = (digest: string) => {
    landed();
    return { ...stats, digest };
  };

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    stats.attempts = attempt;
    if (opts.signal?.aborted) throw interrupted(u.tag);
    const readAt = performance.now();
    const current = await store.getManifest(u.tag);
    const readDone = performance.now();
    fastestRead = Math.min(fastestRead, readDone - readAt);
    // When the tag was as we now know it: the read's start (the registry answered it in between);
    // and when that answer reached us.
    let knownAt = readAt;
    let answeredAt = readDone;
    // Someone replaced our write between our last check and this read.
    if (wrote && current?.digest !== wrote) contend('another writer changed the list');
    const entries = current ? u.entriesOf(current) : [];
    const currentKeys = new Set(entries.map(keyOf));
    for (const e of entries) if (!drop(e) || ours.has(keyOf(e))) seen.set(keyOf(e), e);
    const required = new Map([...seen, ...ours]);
    const missing = [...required.keys()].filter((k) => !currentKeys.has(k));
    const toDrop = entries.filter((e) => drop(e) && !ours.has(keyOf(e)));

    if (missing.length === 0 && toDrop.length === 0) {
      // Nothing to do and nothing written by us yet: the list already holds everything.
      if (current && !attempted) return done(current.digest);
      // Our write whose answer was lost may be this version: confirm it like one we know of.
      if (current && wrote === undefined) wrote = current.digest;
      landed();
    } else {
      // The tag does not exist and nobody else's entry is known: the document built before the
      // read is the one to write (no build between this read and the write).
      const prebuilt = current === null && u.whenAbsent && required.size === ours.size ? u.whenAbsent : undefined;
      const next = entries.filter((e) => !toDrop.includes(e));
      for (const k of missing) next.push(required.get(k)!);
      const writtenKeys = new Set((prebuilt ? u.add : next).map(keyOf));
      // Without compare-and-swap our copy is stale from the read until our PUT lands: watch the
      // tag through that time if it drags on (a slow build, a PUT held in the network), and write
      // back whatever landed meanwhile (docs/design/safe-update.md, "Watching").
      // Versions whose entries we know: the one read, and ours once built.
      const known = new Set(current ? [current.digest] : []);
      const watchAgainst = (since: number) =>
        watchTag(
          store,
          u.tag,
          known,
          since,
          pace(),
          (doc) => {
            for (const e of u.entriesOf(doc)) if (!drop(e) || ours.has(keyOf(e))) seen.set(keyOf(e), e);
          },
          opts.log,
          () => stats.looks++,
        );
      let watch = store.atomicTagUpdates ? undefined : watchAgainst(staleSince(knownAt, answeredAt));
      try {
        const doc = prebuilt ?? (await u.build(next, current));
        known.add(sha256Digest(doc.bytes));
        const conditional = store.atomicTagUpdates === true || (current?.etag !== undefined && (await honoursIfMatch(store, doc, opts.log)));
        if (conditional) {
          await watch?.stop(0);
          watch = undefined;
        }
        // Before writing our copy, bring it up to date with a HEAD:
        // - once when building uploaded something (the config), while no other writer is in
        //   sight (under contention the check would starve this writer: someone always writes
        //   during its build, and stale writes are repaired anyway);
        // - when it lay here, after the answer that showed it, for longer than two of the
        //   registry's quickest answers (a process starved of CPU, a retried upload, a slow build):
        //   written, it would be stale for longer than a quick writer's settle, and only our watch
        //   could restore what it drops, if it got to look. The time the request itself took
        //   counts only when it was slow for this registry (more than twice that): a fresh HEAD
        //   would take as long as a merely loaded registry's answer, and every write would pay one.
        let moved = false;
        let ageChecks = 0;
        while (!conditional && store.resolve) {
          const firstCheck = !prebuilt && u.buildUploads !== false && !stats.contended && !checked;
          const age = performance.now() - staleSince(knownAt, answeredAt);
          const old = age > freshFor() && ageChecks < MAX_AGE_CHECKS && rereads < MAX_REREADS;
          if (!firstCheck && !old) break;
          if (firstCheck) {
            checked = true;
            stats.checks++;
          } else {
            ageChecks++;
            stats.ageChecks++;
            opts.log?.debug(`${u.tag}: our copy is ${Math.round(age)} ms old; looking again before writing it`);
          }
          const headAt = performance.now();
          const now = await store.resolve(u.tag);
          answeredAt = performance.now();
          fastestRead = Math.min(fastestRead, answeredAt - headAt);
          if ((now?.digest ?? null) !== (current?.digest ?? null)) {
            contend('the list changed while the new one was built');
            rereads++;
            moved = true;
            break;
          }
          // Unchanged until the HEAD: the stale time starts again from there.
          knownAt = headAt;
          await watch?.stop(0);
          watch = watchAgainst(staleSince(headAt, answeredAt));
        }
        if (moved) continue;
        attempted = true;
        try {
          const ifMatch = store.atomicTagUpdates ? (current?.digest ?? '') : current?.etag;
          wrote = (await store.putManifest(doc.bytes, doc.mediaType, { tag: u.tag, ifMatch, once: true })).digest;
          // The window a concurrent writer's stale copy can be in flight: from our read to our
          // PUT's answer, and for a document built before the read, from the start of that build
          // (a writer that builds after its read, e.g. one that appends, is stale that long).
          // Measured before the wait for the watch's last looks, which is not part of it; and the
          // caller's slot is freed before that wait too.
          maxWindow = Math.max(maxWindow, performance.now() - (prebuilt ? Math.min(readAt, prebuilt.startedAt) : readAt));
          landed();
        } finally {
          // Looks already on their way may have seen the tag before our write landed.
          await watch?.stop(Math.max(WATCH_AFTER_MS, 2 * pace()));
        }
        if (conditional) {
          stats.conditional = true;
          return done(wrote);
        }
        // Entries that landed while our copy was stale, which our write may have dropped: their
        // writers may already have confirmed and gone. Merge and write them back now.
        // A writer that saw nobody else until now writes them back at once. One that already
        // contends settles first like any contended writer (the check after the settle restores
        // them): under heavy contention every write is slow and sees something new, and writing
        // back at once would have every writer rewrite after every write.
        const landedMeanwhile = [...seen.keys()].filter((k) => !writtenKeys.has(k));
        if (landedMeanwhile.length > 0) {
          const wasContended = stats.contended;
          contend(`${landedMeanwhile.length} entr${landedMeanwhile.length === 1 ? 'y' : 'ies'} landed while our write was on its way; writing them back`);
          if (!wasContended) continue;
        }
      } catch (err) {
        if (isPreconditionFailed(err)) {
          contend(`the list changed under us (attempt ${attempt})`);
          await backoff(attempt, opts.signal);
          continue;
        }
        // Failed in a way the store would have retried: not resent blindly after a backoff (that
        // would be a stale write), but read, merged and written again.
        if (err instanceof SealError && err.code === 'WRITE_UNCONFIRMED' && attempt < maxAttempts) {
          opts.log?.debug(`${u.tag}: ${err.message}; reading again`);
          await transientBackoff(attempt, opts.signal);
          continue;
        }
        throw err;
      } finally {
        await watch?.stop(0);
      }
    }

    // Settle and confirm. Writers that read before our PUT land their (stale) PUT within their
    // own read-modify-write window; alike on one registry, so ours, measured, bounds theirs.
    // Once another writer shows, the long settle period applies as well.
    let lost: string[] = [];
    for (;;) {
      const wait = Math.max(stats.contended ? longSettle : SETTLE_FLOOR_MS, factor * maxWindow) * (0.75 + Math.random() * 0.5);
      await sleep(wait, opts.signal);
      stats.settledMs += wait;
      const after = await store.getManifest(u.tag);
      const afterKeys = new Set(after ? u.entriesOf(after).map(keyOf) : []);
      // Everything seen so far, including what the watch saw while our write was on its way.
      lost = [...new Set([...required.keys(), ...seen.keys()])].filter((k) => !afterKeys.has(k));
      if (!after || lost.length > 0) break;
      if (stats.contended || after.digest === wrote || wrote === undefined) return done(after.digest);
      // Everything is there, but someone else wrote after us: a writer whose read came before
      // ours may still be on its way; wait the long period and look again.
      contend('another writer wrote after us');
      for (const e of u.entriesOf(after)) if (!drop(e) || ours.has(keyOf(e))) seen.set(keyOf(e), e);
      wrote = after.digest;
    }
    contend(`${lost.length} entr${lost.length === 1 ? 'y' : 'ies'} overwritten by a concurrent writer; restoring`);
    await backoff(attempt, opts.signal);
  }
  throw new SealError('conflict', `could not update ${store.name}:${u.tag}: other writers kept replacing it`, {
    hint: 'nothing was removed; run the command again',
  });
}

interface TagWatch {
  /**
   * Stops looking; waits up to graceMs for looks already on their way (their answers still count).
   * A second call waits for the first one's wait.
   */
  stop(graceMs: number): Promise<void>;
}

/**
 * Reads `tag` now and then while a writer's copy of it is stale: from `since` (when the writer
 * last saw the tag: the answer to its read or HEAD check, or that request's start when it was
 * slow) until stopped (its PUT's answer). Nothing is read when the write is quick: the first look
 * comes after WATCH_AFTER_MS or two of the registry's quickest answers (its pace), whichever is
 * longer, then one every WATCH_EVERY_MS, pace or quickest of the last three looks, whichever is
 * longest (at most WATCH_MAX_EVERY_MS). Each version read goes to `onVersion`; failed looks are
 * only logged (the next look is already due; the store's own retries may make one late, which
 * does no harm).
 */
function watchTag(
  store: ImageStore,
  tag: string,
  known: Set<string>,
  since: number,
  registryPace: number,
  onVersion: (doc: FetchedManifest) => void,
  log?: Log,
  onLook?: () => void,
): TagWatch {
  const pace = Number.isFinite(registryPace) ? registryPace : 0;
  const firstAt = since + Math.max(WATCH_AFTER_MS, 2 * pace);
  const inFlight = new Set<Promise<void>>();
  const lastTook: number[] = []; // the last three looks' round trips
  let reads = 0;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const took = (at: number) => {
    lastTook.push(performance.now() - at);
    if (lastTook.length > 3) lastTook.shift();
  };
  // A HEAD where the store has one: no body, and registries that count pulls (Docker Hub) count
  // GETs of manifests, not HEADs. A version not seen before is then fetched by its digest.
  const lookOnce = async (): Promise<void> => {
    const at = performance.now();
    let doc: FetchedManifest | null;
    if (store.resolve) {
      const now = await store.resolve(tag);
      took(at);
      if (!now || known.has(now.digest)) return;
      doc = await store.getManifest(now.digest);
    } else {
      doc = await store.getManifest(tag);
      took(at);
    }
    if (!doc) return;
    known.add(doc.digest);
    onVersion(doc);
  };
  const look = () => {
    timer = undefined;
    if (stopped) return;
    if (inFlight.size < WATCH_IN_FLIGHT && reads < WATCH_MAX_READS) {
      reads++;
      onLook?.();
      const read: Promise<void> = lookOnce().catch((err: unknown) =>
        log?.debug(`${tag}: a look while our write was on its way failed: ${(err as Error).message}`),
      );
      inFlight.add(read);
      void read.finally(() => inFlight.delete(read));
    }
    const every = Math.min(WATCH_MAX_EVERY_MS, Math.max(WATCH_EVERY_MS, pace, lastTook.length > 0 ? Math.min(...lastTook) : 0));
    if (reads < WATCH_MAX_READS) timer = setTimeout(look, every);
  };
  timer = setTimeout(look, Math.max(0, firstAt - performance.now()));
  // The update stops a watch where the PUT is answered and again on every way out of the attempt.
  let stopping: Promise<void> | undefined;
  const stop = async (graceMs: number): Promise<void> => {
    stopped = true;
    if (timer) clearTimeout(timer);
    if (reads > 0) log?.debug(`${tag}: looked ${reads} time(s) while our copy was stale`);
    if (inFlight.size === 0) return;
    let grace: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(inFlight), new Promise<void>((resolve) => (grace = setTimeout(resolve, graceMs)))]);
    clearTimeout(grace);
  };
  return { stop: (graceMs) => (stopping ??= stop(graceMs)) };
}

// Waits end early on SIGINT/SIGTERM: what was written so far is a whole list (each PUT replaces
// the tag at once), so stopping between steps loses nothing.
const interrupted = (tag: string) => new SealError('interrupted', `interrupted while updating ${tag}; what was written before stays`);
const sleep = (ms: number, signal?: AbortSignal): Promise<void> => sleepFor(ms, signal, () => interrupted('the list'));
// The registry's own trouble (5xx, resets): back off as the retry layer would, 250 ms doubling.
const transientBackoff = (attempt: number, signal?: AbortSignal) =>
  sleep(Math.min(8000, 250 * 2 ** Math.min(attempt - 1, 5)) * (0.8 + 0.4 * Math.random()), signal);
const backoff = (attempt: number, signal?: AbortSignal) => sleep(Math.min(2000, 20 * 2 ** Math.min(attempt, 6)) * Math.random(), signal);

/**
 * Starts `update` (given an onWritten hook) and resolves once its write has landed, with what the
 * hook was given and the rest of the update (settle and confirm) still running as `settled`;
 * rejects when the update fails before writing. For callers that run many updates under a
 * concurrency limit: the slot is freed for the settle, which is only a wait. When the update ends
 * without calling the hook, `written` is undefined and `settled` has already resolved.
 */
export async function untilWritten<T, W>(update: (onWritten: (what: W) => void) => Promise<T>): Promise<{ settled: Promise<T>; written?: W }> {
  let written: W | undefined;
  let hook!: () => void;
  const landed = new Promise<void>((resolve) => (hook = resolve));
  const settled = update((what) => {
    written = what;
    hook();
  });
  // Awaited by the caller later; until then a failure must not count as unhandled.
  settled.catch(() => {});
  await Promise.race([landed, settled]);
  return { settled, written };
}
