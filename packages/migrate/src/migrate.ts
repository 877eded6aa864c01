import {
  StorageError,
  abortedError,
  isStorageError,
  portableSha256,
  readResultBody,
  validatePrefix,
} from '@stowage/core';
import type { GetResult, ObjectStore, PutResult, Sha256Factory, StreamDigest } from '@stowage/core';
import { ByteGate } from './byte-gate.ts';
import { digestObject, objectSha256 } from './object-digest.ts';
import { meterStream } from './metered-stream.ts';
import { JournalCursor, JournalRecorder, NOT_LOADED, journalProves } from './journal.ts';
import type { JournalEntry, MigrationJournal } from './journal.ts';
import { pairListings } from './paired-listing.ts';
import { rangedListing } from './ranged-listing.ts';
import type { RangedListingOptions } from './ranged-listing.ts';
import { readAhead, startedReadAhead } from './read-ahead.ts';
import type { ListingPair } from './paired-listing.ts';
import { ProgressTracker } from './progress.ts';
import type { MigrationProgress } from './progress.ts';
import { ReportBuilder } from './migration-report.ts';
import type {
  MigrationFailure,
  MigrationMode,
  MigrationReport,
  ObjectEvent,
  ObjectOutcome,
} from './migration-report.ts';
import { resilientList } from './resilient-list.ts';
import { DEFAULT_RETRY_POLICY, withRetry } from './retry.ts';
import type { RetryPolicy } from './retry.ts';

export const DEFAULT_CONCURRENCY = 6;

/** A listing pair with a source object. */
type SourcePair = ListingPair & { readonly source: NonNullable<ListingPair['source']> };

/** What was decided for one object, and what it proved for the journal. */
interface Decision {
  readonly outcome: ObjectOutcome;
  readonly proof?: JournalEntry | undefined;
}

/** A pair with the earlier journal's entry for its key and its place in the journal being written. */
interface JournaledPair {
  readonly pair: ListingPair;
  readonly journaled: JournalEntry | undefined;
  readonly ticket: number;
}

/** This run's journal beside the earlier one; none when it cannot be read (it only saves work). */
function startRecorder(journal: MigrationJournal): JournalRecorder | undefined {
  try {
    return new JournalRecorder(journal);
  } catch {
    return undefined;
  }
}

/** The pairs in listing order, each looked up in the journal and given a ticket (both need that order). */
async function* withJournal(
  pairs: AsyncGenerator<ListingPair, void, undefined>,
  lookups: JournalCursor | undefined,
  recorder: JournalRecorder | undefined,
): AsyncGenerator<JournaledPair, void, undefined> {
  try {
    for await (const pair of pairs) {
      let journaled: JournalEntry | undefined;
      if (pair.source !== undefined && lookups !== undefined) {
        try {
          const found = lookups.findLoaded(pair.key);
          journaled = found === NOT_LOADED ? await lookups.find(pair.key) : found;
        } catch {
          // An unreadable journal only costs the comparison it would have saved.
          journaled = undefined;
        }
      }
      yield { pair, journaled, ticket: recorder?.ticket() ?? 0 };
    }
  } finally {
    await pairs.return();
  }
}

/** The keys of a journal's entries under `prefix`, batch by batch. */
async function* journalKeys(journal: MigrationJournal, prefix: string): AsyncGenerator<string[], void, undefined> {
  for await (const batch of journal.read()) {
    const keys: string[] = [];
    for (const entry of batch) if (entry.key.startsWith(prefix)) keys.push(entry.key);
    yield keys;
  }
}

export const DEFAULT_LIST_LIMIT = 1000;
export const DEFAULT_HASH_FIRST_FROM: number = Number.POSITIVE_INFINITY;
const MAX_CONCURRENCY = 256;
/** Listed objects held ahead of the merge, per listing: four S3 pages, about 1 MB. */
const LISTING_READ_AHEAD = 4000;
/** Batches of the earlier journal read ahead of the lookups. */
const JOURNAL_BATCHES_AHEAD = 2;
/**
 * The target is listed in ranges of an S3 page's worth of source keys, four at once: a resumed run of a large
 * bucket is bound by its listing, and one listing asks for page after page.
 */
const TARGET_LISTING_RANGES: RangedListingOptions = { rangeSize: 1000, rangesAhead: 3 };

/** How each copied object is checked at the target. */
export type VerifyMode =
  /**
   * The target's own word: where its answer to the put proves the bytes (`confirmed`, as an S3 ETag does), that;
   * else ask the target (`head`): its size must match the bytes sent, and the SHA-256 it recorded must match the
   * one computed while streaming. A target that records no SHA-256 is read back instead.
   */
  | 'head'
  /** Read every copied object back from the target and hash it: proves the stored bytes, at twice the traffic. */
  | 'read-back';

export interface MigrateOptions {
  /** Objects copied at once; default 6 (Zulip's default process count). Throws `InvalidArgument` outside 1..256. */
  readonly concurrency?: number | undefined;
  /** Only keys starting with this; default all. Throws `InvalidKey` for a prefix no key could have. */
  readonly prefix?: string | undefined;
  /** Stops the run: in-flight puts are aborted (the target keeps its old object) and `migrate` rejects `Aborted`. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Skip objects the target already holds with the same size and SHA-256 (default true). Where a store records
   * no SHA-256 the object is read in full to hash it, on that side, only when the sizes match.
   */
  readonly resume?: boolean | undefined;
  /**
   * How resume decides that the target already holds an object: `'sha256'` (default) compares sizes, then
   * SHA-256s (one `head` per object on each side, more where a store records no SHA-256). `'size-and-time'` skips an
   * object whose target copy has the same size and is no older than the source object, from the listings alone
   * (no request per object), as rclone does by default; an object changed at the target after the copy, to
   * the same size, is then not noticed. Objects that fail that test are still compared by SHA-256.
   */
  readonly resumeBy?: 'sha256' | 'size-and-time' | undefined;
  /** Decide what would be copied (and how many bytes) without writing anything. */
  readonly dryRun?: boolean | undefined;
  /** Compare the stores without copying: report missing, different and only-at-target keys. */
  readonly verifyOnly?: boolean | undefined;
  /** Default `'head'`. */
  readonly verify?: VerifyMode | undefined;
  /**
   * Copies made and verified by earlier runs (see `MigrationJournal`): when resuming, an object whose source and
   * target versions (etag, size, source time) are the ones a journal entry names is skipped with no request and
   * no hashing; any other object is compared by `resumeBy` as without a journal. A copying run writes the journal
   * anew. Default none.
   */
  readonly journal?: MigrationJournal | undefined;
  /** Retries of transient (`Unavailable`) failures, per object and per listing page. */
  readonly retry?: Partial<RetryPolicy> | undefined;
  /** The SHA-256 to hash with; default the portable one. Inject a native one (`nodeSha256`) for speed. */
  readonly sha256?: Sha256Factory | undefined;
  /**
   * Count the source's objects and bytes with a second listing that runs beside the copy (default true), so
   * progress has totals and an ETA soon after the start without holding any key list in memory. The count costs
   * one extra listing of the source (one request per 1,000 keys on S3).
   */
  readonly countTotals?: boolean | undefined;
  /**
   * Bytes of objects being copied at once, at most (sizes from the listing; one object larger than this is copied
   * alone). Bounds memory where a target buffers what it receives, such as an S3 multipart upload holding whole
   * parts; default unlimited (only `concurrency` applies).
   */
  readonly maxBytesInFlight?: number | undefined;
  /**
   * Objects of at least this many bytes whose SHA-256 the source does not record are read twice: first to hash
   * them, then to copy them with the SHA-256 given to the target, which checks the bytes against it as they arrive
   * and stores it with the object in the same request (S3 otherwise records it afterwards with a server-side copy
   * of the whole object onto itself). Worth it where the source is cheap to read again (a local disk) and the target
   * is S3; from a remote source it doubles the download. Default `Infinity`: never read twice.
   */
  readonly hashFirstFrom?: number | undefined;
  /** Keys kept per outcome in the report (default 1,000); counts stay exact, `onObject` sees every key. */
  readonly listLimit?: number | undefined;
  readonly onProgress?: ((progress: MigrationProgress) => void) | undefined;
  /** Least time between two progress events (default 250 ms); the final event always comes. */
  readonly progressIntervalMs?: number | undefined;
  /** Called once per key with its outcome, in completion order. */
  readonly onObject?: ((event: ObjectEvent) => void) | undefined;
}

function invalidArgument(message: string): StorageError {
  return new StorageError('InvalidArgument', message);
}

function checkedConcurrency(value: number | undefined): number {
  if (value === undefined) return DEFAULT_CONCURRENCY;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_CONCURRENCY) {
    throw invalidArgument(`concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, not ${value}`);
  }
  return value;
}

function checkedRetryPolicy(partial: Partial<RetryPolicy> | undefined): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...partial };
  if (!Number.isSafeInteger(policy.attempts) || policy.attempts < 1) {
    throw invalidArgument(`retry.attempts must be a whole number of at least 1, not ${policy.attempts}`);
  }
  if (!(policy.baseDelayMs >= 0) || !(policy.maxDelayMs >= 0)) {
    throw invalidArgument('retry.baseDelayMs and retry.maxDelayMs must be non-negative');
  }
  return policy;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function toFailure(key: string, error: unknown, attempts: number): MigrationFailure {
  if (isStorageError(error)) return { key, code: error.code, message: error.message, attempts };
  return { key, code: 'Unknown', message: describe(error), attempts };
}

/**
 * Copies every object of `source` (under `prefix`) to `target` under the same key, streaming, with content type,
 * disposition, cache control and metadata; or, with `dryRun` or `verifyOnly`, only compares. Keys are walked in
 * order by merging the two stores' listings (each read at most a few thousand keys ahead), so memory stays
 * constant however many objects there are. Every copied object is verified at the target (size and SHA-256); a
 * copy that fails verification is deleted from the target and reported. Transient failures are retried with
 * exponential backoff; an object that still fails is reported in `failures` and the run goes on. The source is only
 * read, never modified.
 *
 * Resolves with the report (check `ok`). Rejects with `InvalidArgument` or `InvalidKey` for bad options, `Aborted`
 * when the signal fires, and the listing's error when a store cannot be listed at all.
 */
export async function migrate(
  source: ObjectStore,
  target: ObjectStore,
  options: MigrateOptions = {},
): Promise<MigrationReport> {
  const concurrency = checkedConcurrency(options.concurrency);
  const prefix = validatePrefix(options.prefix ?? '');
  const policy = checkedRetryPolicy(options.retry);
  if (options.dryRun === true && options.verifyOnly === true)
    throw invalidArgument('dryRun and verifyOnly exclude each other');
  if (source === target) throw invalidArgument(`source and target are the same store (${source.name})`);
  const listLimit = options.listLimit ?? DEFAULT_LIST_LIMIT;
  if (!Number.isSafeInteger(listLimit) || listLimit < 0)
    throw invalidArgument(`listLimit must be a whole number, not ${listLimit}`);
  const mode: MigrationMode =
    options.verifyOnly === true ? 'verify-only' : options.dryRun === true ? 'dry-run' : 'copy';
  const resume = options.resume ?? true;
  const resumeBy = options.resumeBy ?? 'sha256';
  const verifyMode = options.verify ?? 'head';
  const sha256 = options.sha256 ?? portableSha256;
  const signal = options.signal;
  const maxBytesInFlight = options.maxBytesInFlight;
  if (maxBytesInFlight !== undefined && !(Number.isSafeInteger(maxBytesInFlight) && maxBytesInFlight > 0)) {
    throw invalidArgument(`maxBytesInFlight must be a positive whole number of bytes, not ${maxBytesInFlight}`);
  }
  const gate = maxBytesInFlight === undefined ? undefined : new ByteGate(maxBytesInFlight);
  const hashFirstFrom = options.hashFirstFrom ?? DEFAULT_HASH_FIRST_FROM;
  if (!(hashFirstFrom >= 0))
    throw invalidArgument(`hashFirstFrom must be a non-negative number of bytes, not ${hashFirstFrom}`);

  const startedAt = new Date().toISOString();
  const started = performance.now();
  const report = new ReportBuilder(listLimit);
  const tracker = new ProgressTracker(options.onProgress, options.progressIntervalMs ?? 250);

  const counting = new AbortController();
  const countSignal = signal === undefined ? counting.signal : AbortSignal.any([signal, counting.signal]);
  const countDone = options.countTotals === false ? Promise.resolve() : countSource();

  const compareTarget = mode === 'verify-only' || resume;
  // A journal is consulted only to resume, and written only by a run that copies.
  const journal = resume && mode !== 'verify-only' ? options.journal : undefined;
  const sourceListing = resilientList(source, prefix, policy, signal);
  const ranged = compareTarget
    ? rangedListing(
        sourceListing,
        (after) => resilientList(target, prefix, policy, signal, after),
        TARGET_LISTING_RANGES,
        // The journal's keys are those of the last run's source: they cut the target's listing into ranges from
        // the start, before the source's walk gets that far.
        journal === undefined ? undefined : journalKeys(journal, prefix),
      )
    : undefined;
  // Each listing runs ahead of the merge (a few pages' worth), so the faster one is never held to the slower's pace.
  const pairs = pairListings(readAhead(ranged?.source ?? sourceListing, LISTING_READ_AHEAD), ranged?.target);
  // The journal is read (and parsed) ahead while the listings' first pages are on their way.
  const lookups =
    journal === undefined ? undefined : new JournalCursor(startedReadAhead(journal.read(), JOURNAL_BATCHES_AHEAD));
  const recorder = journal === undefined || mode !== 'copy' ? undefined : startRecorder(journal);
  const journaledPairs = withJournal(pairs, lookups, recorder);

  async function countSource(): Promise<void> {
    let objects = 0;
    let bytes = 0;
    try {
      for await (const summary of resilientList(source, prefix, policy, countSignal)) {
        objects++;
        bytes += summary.size;
      }
    } catch {
      // Totals only feed the ETA; the copy itself lists (and reports) the source independently.
      return;
    }
    tracker.objectsTotal = objects;
    tracker.bytesTotal = bytes;
  }

  function emit(event: ObjectEvent): void {
    report.record(event);
    if (event.outcome !== 'only-at-target') tracker.objectsDone++;
    if (event.outcome === 'copied') tracker.copied++;
    else if (event.outcome === 'skipped') tracker.skipped++;
    else if (event.outcome === 'failed') tracker.failed++;
    options.onObject?.(event);
    tracker.tick();
  }

  function asSourceFailure(key: string, error: unknown): StorageError {
    if (isStorageError(error)) return error;
    return new StorageError('Unavailable', `reading ${key} from ${source.name} failed: ${describe(error)}`, {
      key,
      cause: error,
    });
  }

  /**
   * Whether both stores hold the same bytes under `key`, by size and SHA-256; `undefined` when the source lost it.
   * When they do, also the journal entry this proves, if the versions compared are the ones the listings showed.
   */
  async function sameContent(
    pair: SourcePair,
  ): Promise<{ readonly same: boolean; readonly proof?: JournalEntry | undefined } | undefined> {
    const { key } = pair;
    const [atSource, atTarget] = await Promise.all([source.head(key), target.head(key)]);
    if (atSource === undefined) return undefined;
    if (atTarget === undefined || atSource.size !== atTarget.size) return { same: false };
    const [sourceSha, targetSha] = await Promise.all([
      objectSha256(source, key, atSource.sha256, sha256, signal),
      objectSha256(target, key, atTarget.sha256, sha256, signal),
    ]);
    if (sourceSha !== targetSha) return { same: false };
    const listed =
      atSource.etag === pair.source.etag && pair.target !== undefined && atTarget.etag === pair.target.etag;
    return { same: true, proof: listed ? proofOf(pair, atSource.size, sourceSha, atTarget.etag) : undefined };
  }

  function proofOf(pair: SourcePair, size: number, sha: string, targetEtag: string): JournalEntry {
    return {
      key: pair.key,
      size,
      sha256: sha,
      sourceEtag: pair.source.etag,
      sourceModified: pair.source.lastModified.getTime(),
      targetEtag,
    };
  }

  /** Checks the copy at the target; resolves with the etag of the version checked. */
  async function verifyAtTarget(key: string, sent: StreamDigest): Promise<string> {
    const stored = await target.head(key);
    let problem: string | undefined;
    if (stored === undefined) problem = 'is not there after the put';
    else if (stored.size !== sent.size) problem = `holds ${stored.size} bytes where ${sent.size} were sent`;
    else {
      const storedSha =
        verifyMode === 'read-back' || stored.sha256 === undefined
          ? (await digestObject(target, key, sha256, signal)).sha256
          : stored.sha256;
      if (storedSha !== sent.sha256) problem = `has SHA-256 ${storedSha} where ${sent.sha256} was sent`;
    }
    if (problem === undefined && stored !== undefined) return stored.etag;
    // A copy that does not match must not stay where a reader (or a resumed run) would take it for good.
    await target.delete(key).catch(() => undefined);
    throw new StorageError(
      'IntegrityError',
      `verification failed: ${key} at ${target.name} ${problem}; the bad copy was deleted`,
      { key },
    );
  }

  /** Opens the source object; `undefined` when it is gone. */
  async function openSource(key: string): Promise<GetResult | undefined> {
    try {
      return await source.get(key, { signal });
    } catch (error) {
      if (isStorageError(error, 'NotFound')) return undefined;
      throw error;
    }
  }

  async function copyObject(pair: SourcePair, onBytes: (count: number) => void): Promise<Decision> {
    const { key } = pair;
    let got = await openSource(key);
    if (got === undefined) return { outcome: 'vanished' };
    // The SHA-256 known before the put: the target is given it and refuses other bytes, so the copy needs no hash
    // of its own. The source's record, else (for a large object) a first read.
    let expected = got.sha256;
    if (expected === undefined && got.size >= hashFirstFrom) {
      const first = await digestObject(source, key, sha256, signal, undefined, got);
      if (first.size !== got.size) {
        throw new StorageError(
          'IntegrityError',
          `${key} at ${source.name} read ${first.size} bytes where it has ${got.size} (changed while read?)`,
          { key },
        );
      }
      expected = first.sha256;
      got = await openSource(key);
      if (got === undefined) return { outcome: 'vanished' };
    }
    const metered = meterStream(readResultBody(got), expected === undefined ? sha256 : undefined, onBytes);
    let stored: PutResult;
    try {
      stored = await target.put(key, metered.body, {
        contentType: got.contentType,
        contentDisposition: got.contentDisposition,
        cacheControl: got.cacheControl,
        metadata: got.metadata,
        size: got.size,
        sha256: expected,
        // Where the target can prove the bytes from its own answer (an S3 ETag), no request is needed to verify.
        confirm: verifyMode === 'head',
        signal,
      });
    } catch (error) {
      await metered.cancel().catch(() => undefined);
      const sourceError = metered.sourceError();
      if (sourceError !== undefined && signal?.aborted !== true) throw asSourceFailure(key, sourceError);
      throw error;
    }
    const read = metered.digest();
    if (read === undefined) {
      throw new StorageError('IntegrityError', `${target.name} reported ${key} stored before reading all of it`, {
        key,
      });
    }
    const sentSha = read.sha256 ?? expected;
    if (read.size !== got.size || sentSha === undefined) {
      await target.delete(key).catch(() => undefined);
      throw new StorageError(
        'IntegrityError',
        `${key} at ${source.name} does not match its own size or SHA-256 (changed while read?)`,
        { key },
      );
    }
    const sent: StreamDigest = { size: read.size, sha256: sentSha };
    const confirmed = stored.confirmed === true && stored.size === sent.size && stored.sha256 === sent.sha256;
    const targetEtag = verifyMode === 'read-back' || !confirmed ? await verifyAtTarget(key, sent) : stored.etag;
    // Journal only the version the listing showed: a source changed since then is compared afresh next time.
    const listed = got.etag === pair.source.etag && sent.size === pair.source.size;
    return { outcome: 'copied', proof: listed ? proofOf(pair, sent.size, sent.sha256, targetEtag) : undefined };
  }

  /** What the listings (and the journal) alone decide for a pair, with no request; `undefined` when they cannot. */
  function decideFromListings(pair: SourcePair, journaled: JournalEntry | undefined): Decision | undefined {
    if (mode === 'verify-only') {
      if (pair.target === undefined) return { outcome: 'missing' };
      if (pair.target.size !== pair.source.size) return { outcome: 'different' };
      return undefined;
    }
    if (resume && pair.target !== undefined && pair.target.size === pair.source.size) {
      // An earlier run copied and verified exactly these two versions: same size and SHA-256, no request needed.
      if (journalProves(journaled, pair.source, pair.target)) return { outcome: 'skipped', proof: journaled };
      if (resumeBy === 'size-and-time' && pair.target.lastModified.getTime() >= pair.source.lastModified.getTime())
        return { outcome: 'skipped' };
      return undefined;
    }
    return mode === 'dry-run' ? { outcome: 'would-copy' } : undefined;
  }

  async function decide(pair: SourcePair, onBytes: (count: number) => void): Promise<Decision> {
    if (mode === 'verify-only') {
      const compared = await sameContent(pair);
      return { outcome: compared === undefined ? 'vanished' : compared.same ? 'matched' : 'different' };
    }
    if (resume && pair.target !== undefined && pair.target.size === pair.source.size) {
      const compared = await sameContent(pair);
      if (compared === undefined) return { outcome: 'vanished' };
      if (compared.same) return { outcome: 'skipped', proof: compared.proof };
    }
    if (mode === 'dry-run') return { outcome: 'would-copy' };
    if (gate === undefined) return copyObject(pair, onBytes);
    await gate.acquire(pair.source.size);
    try {
      return await copyObject(pair, onBytes);
    } finally {
      gate.release(pair.source.size);
    }
  }

  /**
   * Handles a pair; returns a promise only when that needs a request (a resumed run's skips by journal are handled
   * on the spot, with no promise per object).
   */
  function handle({ pair, journaled, ticket }: JournaledPair): Promise<void> | undefined {
    if (pair.source === undefined) {
      if (mode === 'verify-only' && pair.target !== undefined) {
        emit({ key: pair.key, outcome: 'only-at-target', size: pair.target.size });
      }
      recorder?.settle(ticket, pair.key, undefined);
      return undefined;
    }
    const sourcePair: SourcePair = { ...pair, source: pair.source };
    const decided = decideFromListings(sourcePair, journaled);
    if (decided === undefined) return handleWithRequests(sourcePair, ticket);
    tracker.bytesDone += sourcePair.source.size;
    emit({ key: pair.key, outcome: decided.outcome, size: sourcePair.source.size });
    recorder?.settle(ticket, pair.key, decided.proof);
    return undefined;
  }

  async function handleWithRequests(pair: SourcePair, ticket: number): Promise<void> {
    const size = pair.source.size;
    let streamed = 0;
    const onBytes = (count: number): void => {
      streamed += count;
      tracker.bytesDone += count;
      tracker.bytesCopied += count;
      tracker.tick();
    };
    const forgetAttempt = (): void => {
      tracker.bytesDone -= streamed;
      tracker.bytesCopied -= streamed;
      streamed = 0;
    };
    let attempts = 0;
    let proof: JournalEntry | undefined;
    try {
      const decision = await withRetry(
        (attempt) => {
          attempts = attempt;
          return decide(pair, onBytes);
        },
        policy,
        signal,
        forgetAttempt,
      );
      proof = decision.proof;
      if (decision.outcome !== 'copied') tracker.bytesDone += size;
      emit({ key: pair.key, outcome: decision.outcome, size });
    } catch (error) {
      if (signal?.aborted === true) throw abortedError(pair.key, signal.reason);
      tracker.bytesDone += size;
      emit({ key: pair.key, outcome: 'failed', size, failure: toFailure(pair.key, error, attempts) });
    }
    recorder?.settle(ticket, pair.key, proof);
  }

  async function worker(): Promise<void> {
    for (;;) {
      if (signal?.aborted === true) throw abortedError(undefined, signal.reason);
      const next = await journaledPairs.next();
      if (next.done === true) return;
      const handling = handle(next.value);
      if (handling !== undefined) await handling;
    }
  }

  const workers = await Promise.allSettled(Array.from({ length: concurrency }, worker));
  counting.abort();
  await countDone;
  await journaledPairs.return();
  await lookups?.close();
  // Also after an interruption: what was settled in order is true, and the rest of the earlier journal stays.
  await recorder?.finish();
  if (signal?.aborted === true) throw abortedError(undefined, signal.reason);
  const rejected = workers.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (rejected !== undefined) throw rejected.reason;
  tracker.objectsTotal ??= tracker.objectsDone;
  tracker.bytesTotal ??= tracker.bytesDone;
  tracker.tick(true);
  return report.build({
    mode,
    source: source.name,
    target: target.name,
    prefix,
    startedAt,
    durationMs: performance.now() - started,
  });
}
