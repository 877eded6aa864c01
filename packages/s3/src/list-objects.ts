import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { StorageError, throwIfAborted, validatePrefix } from '@stowage/core';
import type { ListOptions, ObjectSummary } from '@stowage/core';
import { quotedEtag } from './etag-check.ts';
import type { S3Requests } from './s3-requests.ts';

/**
 * Pages through ListObjectsV2 (at most 1,000 keys a page, as S3 caps it), asking for the next page while the
 * current one is consumed, so at most two pages are held. A server
 * that repeats a continuation token, or claims more pages without giving one, fails with `Unavailable` rather
 * than looping forever. See `ObjectStore.list`.
 */
export async function* listObjects(
  requests: S3Requests,
  bucket: string,
  options: ListOptions,
): AsyncGenerator<ObjectSummary, void, undefined> {
  const prefix = validatePrefix(options.prefix ?? '');
  const pageSize = options.pageSize ?? 1000;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
    throw new StorageError('InvalidArgument', `pageSize must be a positive integer, not ${pageSize}`);
  }
  const seenTokens = new Set<string>();
  // A reader that stops early cancels the page asked for ahead, rather than leave the server working on it and
  // the process waiting for its answer.
  const stopped = new AbortController();
  const signal = options.signal === undefined ? stopped.signal : AbortSignal.any([options.signal, stopped.signal]);
  const fetchPage = (continuation: string | undefined): Promise<ListObjectsV2CommandOutput> => {
    throwIfAborted(options.signal);
    const maxKeys = Math.min(pageSize, 1000);
    return requests.send(
      { operation: 'list' },
      () =>
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix === '' ? undefined : prefix,
          MaxKeys: maxKeys,
          ...(continuation === undefined ? { StartAfter: options.startAfter } : { ContinuationToken: continuation }),
        }),
      signal,
    );
  };
  let next: Promise<ListObjectsV2CommandOutput> | undefined = fetchPage(undefined);
  try {
    while (next !== undefined) {
      const page = await next;
      next = undefined;
      if (page.IsTruncated === true) {
        const token = page.NextContinuationToken;
        if (token === undefined || token === '') {
          throw new StorageError(
            'Unavailable',
            `list of ${requests.name} at ${requests.endpoint}: the server said there were more keys but gave no continuation token`,
          );
        }
        if (seenTokens.has(token)) {
          throw new StorageError(
            'Unavailable',
            `list of ${requests.name} at ${requests.endpoint}: the server repeated a continuation token, which would loop forever`,
          );
        }
        seenTokens.add(token);
        // Ask for the next page while this one is consumed: the server's time overlaps the caller's (two pages
        // held at most).
        next = fetchPage(token);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield {
          key: object.Key,
          size: object.Size ?? 0,
          lastModified: object.LastModified ?? new Date(0),
          etag: quotedEtag(object.ETag) ?? '""',
        };
      }
    }
  } finally {
    // A caller that stops early (or a failure) leaves a page in flight: its outcome no longer matters.
    if (next !== undefined) {
      next.catch(() => undefined);
      stopped.abort(new Error('the listing was closed'));
    }
  }
}
