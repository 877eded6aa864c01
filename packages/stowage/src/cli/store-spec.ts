import { StorageError, bucketNameProblem, parseStorageSettings } from '@stowage/core';
import type { Environment, ObjectStore, StorageSettings } from '@stowage/core';
import { LocalStore } from '@stowage/local';
import { S3Store } from '@stowage/s3';
import { readEnvFile } from '../env-file.ts';
import { openStores } from '../open-stores.ts';
import type { Namespace, OpenStoresOptions, Stores } from '../open-stores.ts';
import { UsageError } from './usage-error.ts';

/**
 * What `--from`, `--to` and `--store` name: a whole deployment (two namespaces) or one store.
 * - `local:DIR`: a `LOCAL_UPLOADS_DIR` (its `files/` and `avatars/`).
 * - `env:FILE`: the deployment a settings file describes (local or S3).
 * - `dir:DIR`: one directory as one store.
 * - `s3://BUCKET`: one bucket, reached with the `S3_*` connection settings (endpoint, region, keys).
 */
export type StoreSpec =
  | { readonly kind: 'deployment'; readonly text: string; readonly settings: StorageSettings }
  | { readonly kind: 'directory'; readonly text: string; readonly path: string }
  | { readonly kind: 'bucket'; readonly text: string; readonly bucket: string };

export const STORE_SPEC_FORMS: string =
  'local:DIR (a LOCAL_UPLOADS_DIR), env:FILE (a settings file), dir:DIR (one directory) or s3://BUCKET (one bucket)';

/** The local deployment `LOCAL_UPLOADS_DIR` names, ignoring any S3 settings beside it (the migration's source). */
export function localSettingsFrom(env: Environment): StorageSettings {
  const directory = env.LOCAL_UPLOADS_DIR?.trim();
  if (directory === undefined || directory === '') {
    throw new UsageError('LOCAL_UPLOADS_DIR is not set: say where the local uploads are with --from local:DIR');
  }
  return parseStorageSettings({ LOCAL_UPLOADS_DIR: directory, MAX_FILE_UPLOAD_SIZE: env.MAX_FILE_UPLOAD_SIZE });
}

/** The S3 deployment the settings name, ignoring `LOCAL_UPLOADS_DIR` (the migration's default target). */
export function s3SettingsFrom(env: Environment): StorageSettings {
  if (env.S3_AUTH_UPLOADS_BUCKET === undefined && env.S3_AVATAR_BUCKET === undefined) {
    throw new UsageError('S3_AUTH_UPLOADS_BUCKET and S3_AVATAR_BUCKET are not set: name the target with --to');
  }
  return parseStorageSettings({ ...env, LOCAL_UPLOADS_DIR: undefined });
}

/** `stowage migrate`'s source when `--from` is not given: the local deployment `LOCAL_UPLOADS_DIR` names. */
export function defaultSourceSpec(env: Environment): StoreSpec {
  const settings = localSettingsFrom(env);
  return {
    kind: 'deployment',
    text: settings.backend === 'local' ? `local:${settings.localUploadsDir}` : 'LOCAL_UPLOADS_DIR',
    settings,
  };
}

/** `stowage migrate`'s target when `--to` is not given: the S3 buckets the settings name. */
export function defaultTargetSpec(env: Environment): StoreSpec {
  const settings = s3SettingsFrom(env);
  const text =
    settings.backend === 's3'
      ? `s3://${settings.s3.uploadsBucket} and s3://${settings.s3.avatarsBucket}`
      : 'S3 settings';
  return { kind: 'deployment', text, settings };
}

/** Parses a store spec; throws `UsageError` for an unknown form and `InvalidSettings` for a bad bucket or file. */
export function parseStoreSpec(text: string): StoreSpec {
  if (text.startsWith('local:')) {
    const path = text.slice('local:'.length);
    if (path === '') throw new UsageError(`${JSON.stringify(text)} names no directory: write local:/path/to/uploads`);
    return { kind: 'deployment', text, settings: parseStorageSettings({ LOCAL_UPLOADS_DIR: path }) };
  }
  if (text.startsWith('env:')) {
    const path = text.slice('env:'.length);
    if (path === '') throw new UsageError(`${JSON.stringify(text)} names no file: write env:/path/to/settings.env`);
    return { kind: 'deployment', text, settings: parseStorageSettings(readEnvFile(path)) };
  }
  if (text.startsWith('dir:')) {
    const path = text.slice('dir:'.length);
    if (path === '') throw new UsageError(`${JSON.stringify(text)} names no directory: write dir:/path`);
    return { kind: 'directory', text, path };
  }
  if (text.startsWith('s3://')) {
    const bucket = text.slice('s3://'.length).replace(/\/+$/u, '');
    const problem = bucketNameProblem(bucket);
    if (problem !== undefined)
      throw new StorageError(
        'InvalidSettings',
        `${JSON.stringify(text)}: ${JSON.stringify(bucket)} is not a valid bucket name: it ${problem}`,
      );
    return { kind: 'bucket', text, bucket };
  }
  throw new UsageError(`${JSON.stringify(text)} is not a store: use ${STORE_SPEC_FORMS}`);
}

/** What a spec opens to: two stores, or one. */
export type OpenedSpec =
  | { readonly kind: 'deployment'; readonly stores: Stores }
  | { readonly kind: 'single'; readonly store: ObjectStore; close(): void };

/**
 * The connection settings (endpoint, region, keys, addressing, checksums) for one bucket. Settings parsing checks
 * the connection variables only together with two distinct bucket names, so the unused second one is a stand-in.
 */
function bucketSettings(env: Environment, bucket: string, endpoint: string | undefined): StorageSettings {
  const standIn = bucket === 'stowage-unused' ? 'stowage-unused-2' : 'stowage-unused';
  return parseStorageSettings({
    ...env,
    LOCAL_UPLOADS_DIR: undefined,
    S3_AVATAR_PUBLIC_URL_PREFIX: undefined,
    S3_ENDPOINT_URL: endpoint ?? env.S3_ENDPOINT_URL,
    S3_AUTH_UPLOADS_BUCKET: bucket,
    S3_AVATAR_BUCKET: standIn,
  });
}

export interface OpenSpecOptions extends OpenStoresOptions {
  /** Environment whose `S3_*` connection settings reach an `s3://` bucket. */
  readonly env: Environment;
  /** Overrides `S3_ENDPOINT_URL` for an `s3://` bucket. */
  readonly endpoint?: string | undefined;
}

export function openSpec(spec: StoreSpec, options: OpenSpecOptions): OpenedSpec {
  switch (spec.kind) {
    case 'deployment':
      return { kind: 'deployment', stores: openStores(spec.settings, options) };
    case 'directory':
      return {
        kind: 'single',
        store: new LocalStore({ root: spec.path, fs: options.localFileSystem }),
        close: () => undefined,
      };
    case 'bucket': {
      const settings = bucketSettings(options.env, spec.bucket, options.endpoint);
      if (settings.backend !== 's3') throw new StorageError('InvalidSettings', 'expected S3 settings');
      const store = S3Store.fromSettings(settings.s3, 'uploads', {
        ...options.s3Client,
        partSize: options.s3PartSize,
        queueSize: options.s3QueueSize,
      });
      return {
        kind: 'single',
        store,
        close: () => {
          store.destroy();
        },
      };
    }
  }
}

/** The store of one namespace of an opened spec (a single store is every namespace). */
export function storeOf(opened: OpenedSpec, namespace: Namespace): ObjectStore {
  return opened.kind === 'single' ? opened.store : opened.stores[namespace];
}

export function closeSpec(opened: OpenedSpec): void {
  if (opened.kind === 'single') opened.close();
  else opened.stores.close();
}
