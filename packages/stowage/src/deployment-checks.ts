import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { collectBytes, encodeKeyPath, isStorageError } from '@stowage/core';
import type { ObjectStore, S3Settings, StorageSettings } from '@stowage/core';
import { RESERVED_DIRECTORY } from '@stowage/local';
import { S3Store, publicUrlBase } from '@stowage/s3';
import { LOCAL_AVATARS_URL_PREFIX, LOCAL_NAMESPACE_DIRECTORIES, NAMESPACES } from './open-stores.ts';
import type { Namespace, Stores } from './open-stores.ts';

/** One line of `stowage check`. */
export interface CheckResult {
  readonly status: 'ok' | 'fail' | 'skip';
  readonly namespace: Namespace | 'settings';
  readonly check: string;
  /** What was found, or for a failure why it failed and what to do. */
  readonly detail: string;
}

/** Objects the probe writes live under this prefix, so an operator who sees a leftover knows what it is. */
export const PROBE_PREFIX: string = 'stowage-check/';
const ANONYMOUS_READ_TIMEOUT_MS = 10_000;

function reason(error: unknown): string {
  if (isStorageError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

type Probe<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

async function probe<T>(work: () => Promise<T>): Promise<Probe<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error };
  }
}

async function anonymousGet(url: string): Promise<{ status: number; body: Uint8Array } | { error: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(ANONYMOUS_READ_TIMEOUT_MS), redirect: 'manual' });
    return { status: response.status, body: new Uint8Array(await response.arrayBuffer()) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((byte, index) => byte === b[index]);
}

/**
 * Put, read back and delete one probe object; between read and delete, `whilePresent` may look at it from outside.
 * Yields one result per step; stops at the first step that fails, after trying to remove the probe.
 */
async function* probeObject(
  namespace: Namespace,
  store: ObjectStore,
  whilePresent: (key: string, content: Uint8Array) => AsyncGenerator<CheckResult>,
): AsyncGenerator<CheckResult> {
  const key = `${PROBE_PREFIX}${crypto.randomUUID()}.txt`;
  const content = new TextEncoder().encode(`stowage check probe ${new Date().toISOString()}\n`);
  const put = await probe(() => store.put(key, content, { contentType: 'text/plain' }));
  if (!put.ok) {
    yield {
      status: 'fail',
      namespace,
      check: 'write',
      detail: `cannot put ${key} in ${store.name}: ${reason(put.error)}`,
    };
    return;
  }
  yield { status: 'ok', namespace, check: 'write', detail: `put ${key} in ${store.name}` };
  const read = await probe(async () => collectBytes((await store.get(key)).body));
  if (!read.ok)
    yield { status: 'fail', namespace, check: 'read', detail: `cannot read ${key} back: ${reason(read.error)}` };
  else if (!equalBytes(read.value, content))
    yield { status: 'fail', namespace, check: 'read', detail: `${key} read back with other bytes than were put` };
  else yield { status: 'ok', namespace, check: 'read', detail: `read ${key} back, bytes identical` };
  yield* whilePresent(key, content);
  const removed = await probe(async () => {
    await store.delete(key);
    return store.head(key);
  });
  if (!removed.ok)
    yield { status: 'fail', namespace, check: 'delete', detail: `cannot delete ${key}: ${reason(removed.error)}` };
  else if (removed.value !== undefined)
    yield { status: 'fail', namespace, check: 'delete', detail: `${key} is still there after delete` };
  else yield { status: 'ok', namespace, check: 'delete', detail: `deleted ${key}` };
}

async function* checkS3Store(namespace: Namespace, settings: S3Settings, store: S3Store): AsyncGenerator<CheckResult> {
  if (settings.credentials !== undefined) {
    yield { status: 'ok', namespace, check: 'credentials', detail: 'static keys from S3_KEY and S3_SECRET_KEY' };
  } else {
    const credentials = await probe(() => store.client.config.credentials());
    if (!credentials.ok) {
      yield {
        status: 'fail',
        namespace,
        check: 'credentials',
        detail: `no credentials found (set S3_KEY and S3_SECRET_KEY, or give the machine a role): ${reason(credentials.error)}`,
      };
      return;
    }
    yield { status: 'ok', namespace, check: 'credentials', detail: 'found through the default AWS credential chain' };
  }
  const listed = await probe(async () => {
    for await (const summary of store.list({ pageSize: 1 })) return summary.key;
    return undefined;
  });
  if (!listed.ok) {
    const detail = isStorageError(listed.error, 'NotFound')
      ? `bucket ${store.bucket} does not exist (create it, or fix the bucket setting)`
      : isStorageError(listed.error, 'InvalidSettings')
        ? `bucket ${store.bucket} cannot be used: ${listed.error.message}`
        : isStorageError(listed.error, 'AccessDenied')
          ? `access to bucket ${store.bucket} denied: the credentials are wrong or lack s3:ListBucket (${reason(listed.error)})`
          : `cannot list bucket ${store.bucket}: ${reason(listed.error)}`;
    yield { status: 'fail', namespace, check: 'bucket', detail };
    return;
  }
  yield { status: 'ok', namespace, check: 'bucket', detail: `bucket ${store.bucket} exists and can be listed` };

  yield* probeObject(namespace, store, async function* (key, content) {
    if (namespace === 'avatars') {
      const url = store.publicUrl(key);
      const answer = await anonymousGet(url);
      if ('error' in answer)
        yield { status: 'fail', namespace, check: 'public read', detail: `cannot fetch ${url}: ${answer.error}` };
      else if (answer.status !== 200) {
        yield {
          status: 'fail',
          namespace,
          check: 'public read',
          detail: `${url} answered HTTP ${answer.status} without credentials: avatars must be readable anonymously (see stowage policy)`,
        };
      } else if (!equalBytes(answer.body, content))
        yield { status: 'fail', namespace, check: 'public read', detail: `${url} served other bytes than were put` };
      else yield { status: 'ok', namespace, check: 'public read', detail: `readable without credentials at ${url}` };
    } else {
      const url = `${publicUrlBase({ ...settings, avatarPublicUrlPrefix: undefined }, store.bucket)}/${encodeKeyPath(key)}`;
      const answer = await anonymousGet(url);
      if ('error' in answer)
        yield { status: 'fail', namespace, check: 'private', detail: `cannot fetch ${url}: ${answer.error}` };
      else if (answer.status >= 200 && answer.status < 300) {
        yield {
          status: 'fail',
          namespace,
          check: 'private',
          detail: `${url} answered HTTP ${answer.status} without credentials: anyone can read uploads; block public access (see stowage policy)`,
        };
      } else
        yield { status: 'ok', namespace, check: 'private', detail: `anonymous read refused (HTTP ${answer.status})` };
    }
  });
}

async function* checkLocalStore(
  namespace: Namespace,
  directory: string,
  store: ObjectStore,
): AsyncGenerator<CheckResult> {
  const existing = await probe(() => stat(directory));
  if (existing.ok && !existing.value.isDirectory()) {
    yield { status: 'fail', namespace, check: 'directory', detail: `${directory} is not a directory` };
    return;
  }
  yield {
    status: 'ok',
    namespace,
    check: 'directory',
    detail: existing.ok ? `${directory} exists` : `${directory} did not exist; the probe creates it`,
  };
  yield* probeObject(namespace, store, async function* () {
    const temporaries = join(directory, RESERVED_DIRECTORY, 'tmp');
    const devices = await probe(async () => [(await stat(directory)).dev, (await stat(temporaries)).dev] as const);
    if (!devices.ok) {
      yield {
        status: 'fail',
        namespace,
        check: 'temporary files',
        detail: `cannot inspect ${temporaries}: ${reason(devices.error)}`,
      };
    } else if (devices.value[0] !== devices.value[1]) {
      yield {
        status: 'fail',
        namespace,
        check: 'temporary files',
        detail: `${temporaries} is on another file system than ${directory}: puts could not be renamed into place atomically`,
      };
    } else {
      yield {
        status: 'ok',
        namespace,
        check: 'temporary files',
        detail: `${temporaries} is on the same file system, so puts are atomic renames`,
      };
    }
    if (namespace === 'avatars') {
      yield {
        status: 'skip',
        namespace,
        check: 'public read',
        detail: `local avatars are served by the chat app under ${LOCAL_AVATARS_URL_PREFIX}/`,
      };
    }
  });
}

/**
 * Checks that a deployment's stores work, step by step, yielding one result per check as it completes: for S3,
 * credentials, the bucket, a probe object put, read back and deleted, and that avatars are public and uploads are
 * not; for local storage, the directories, the probe, and that temporary files share the objects' file system.
 */
export async function* checkDeployment(settings: StorageSettings, stores: Stores): AsyncGenerator<CheckResult> {
  if (settings.backend === 'local') {
    const root = await probe(() => stat(settings.localUploadsDir));
    if (!root.ok || !root.value.isDirectory()) {
      yield {
        status: 'fail',
        namespace: 'settings',
        check: 'LOCAL_UPLOADS_DIR',
        detail: `${settings.localUploadsDir} ${root.ok ? 'is not a directory' : `cannot be read: ${reason(root.error)}`}`,
      };
      return;
    }
    yield {
      status: 'ok',
      namespace: 'settings',
      check: 'LOCAL_UPLOADS_DIR',
      detail: `${settings.localUploadsDir} exists`,
    };
    for (const namespace of NAMESPACES) {
      yield* checkLocalStore(
        namespace,
        join(settings.localUploadsDir, LOCAL_NAMESPACE_DIRECTORIES[namespace]),
        stores[namespace],
      );
    }
    return;
  }
  for (const namespace of NAMESPACES) {
    const store = stores[namespace];
    if (!(store instanceof S3Store))
      throw new Error(`${store.name} is not an S3 store although the settings select S3`);
    yield* checkS3Store(namespace, settings.s3, store);
  }
}
