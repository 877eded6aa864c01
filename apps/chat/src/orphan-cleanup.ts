import type { ObjectStore, ObjectSummary } from '@stowage/core';
import type { ChatData } from './chat-data.ts';

/** Zulip's default: an object must be a day old before it counts as an orphan, so an upload in flight is never taken. */
export const DEFAULT_GRACE_MS: number = 24 * 60 * 60 * 1000;
/** Keys looked up in the database, and deleted, per batch. */
const DEFAULT_BATCH = 500;

export type OrphanNamespace = 'uploads' | 'thumbnails';

export interface OrphanOptions {
  /** Delete the orphans; without it the sweep only lists them (a dry run). */
  readonly delete: boolean;
  /** Objects modified less than this long before `now` are left alone. */
  readonly graceMs?: number | undefined;
  readonly now: number;
  readonly batchSize?: number | undefined;
  /** Called for each orphan found (deleted, or that would be), in key order. */
  readonly onOrphan?: ((orphan: ObjectSummary, namespace: OrphanNamespace) => void) | undefined;
}

interface Tally {
  count: number;
  bytes: number;
}

export interface OrphanReport {
  readonly dryRun: boolean;
  readonly graceSeconds: number;
  /** Objects modified before this time were old enough to go. */
  readonly olderThan: string;
  /** Objects listed under each namespace. */
  readonly scanned: Record<OrphanNamespace, number>;
  /** Objects an attachment row references (kept). */
  readonly referenced: number;
  /** Unreferenced objects younger than the grace period (kept: their upload may still be finishing). */
  readonly tooRecent: Tally;
  /** Keys outside the two namespaces (never touched). */
  readonly otherKeys: number;
  readonly orphans: Record<OrphanNamespace, Tally>;
  /** What was deleted (0 in a dry run). */
  readonly deleted: Tally;
}

/** Which namespace a key of the uploads store is in: attachments are `{realm}/...`, thumbnails `thumbnail/...`. */
function namespaceOf(key: string): OrphanNamespace | undefined {
  if (key.startsWith('thumbnail/')) return 'thumbnails';
  if (/^\d+\//u.test(key)) return 'uploads';
  return undefined;
}

/**
 * Finds the stored objects of the uploads store that no attachment row references (files whose row is gone, or
 * thumbnails of deleted attachments) and, unless it is a dry run, deletes them. It streams the store's `list()` and
 * holds one batch of keys at a time, looked up in the database in one query, so memory stays the same over millions
 * of keys. Objects younger than the grace period are left: an upload is stored before its row is written.
 */
export async function sweepOrphans(data: ChatData, store: ObjectStore, options: OrphanOptions): Promise<OrphanReport> {
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const cutoff = options.now - graceMs;
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const scanned: Record<OrphanNamespace, number> = { uploads: 0, thumbnails: 0 };
  const orphans: Record<OrphanNamespace, Tally> = {
    uploads: { count: 0, bytes: 0 },
    thumbnails: { count: 0, bytes: 0 },
  };
  const tooRecent: Tally = { count: 0, bytes: 0 };
  const deleted: Tally = { count: 0, bytes: 0 };
  let referenced = 0;
  let otherKeys = 0;
  let batch: { readonly object: ObjectSummary; readonly namespace: OrphanNamespace }[] = [];

  async function settle(): Promise<void> {
    if (batch.length === 0) return;
    const known = data.referencedUploadKeys(batch.map(({ object }) => object.key));
    const doomed: { readonly object: ObjectSummary; readonly namespace: OrphanNamespace }[] = [];
    for (const entry of batch) {
      if (known.has(entry.object.key)) referenced++;
      else if (entry.object.lastModified.getTime() >= cutoff) {
        tooRecent.count++;
        tooRecent.bytes += entry.object.size;
      } else doomed.push(entry);
    }
    batch = [];
    if (options.delete && doomed.length > 0) await store.deleteMany(doomed.map(({ object }) => object.key));
    for (const { object, namespace } of doomed) {
      orphans[namespace].count++;
      orphans[namespace].bytes += object.size;
      if (options.delete) {
        deleted.count++;
        deleted.bytes += object.size;
      }
      options.onOrphan?.(object, namespace);
    }
  }

  for await (const object of store.list()) {
    const namespace = namespaceOf(object.key);
    if (namespace === undefined) {
      otherKeys++;
      continue;
    }
    scanned[namespace]++;
    batch.push({ object, namespace });
    if (batch.length >= batchSize) await settle();
  }
  await settle();
  return {
    dryRun: !options.delete,
    graceSeconds: graceMs / 1000,
    olderThan: new Date(cutoff).toISOString(),
    scanned,
    referenced,
    tooRecent,
    otherKeys,
    orphans,
    deleted,
  };
}
