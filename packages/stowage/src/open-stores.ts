import { join } from 'node:path';
import type { ObjectStore, StorageSettings } from '@stowage/core';
import { LocalStore } from '@stowage/local';
import type { LocalFileSystem, UrlSigning } from '@stowage/local';
import { S3Store } from '@stowage/s3';
import type { S3ClientOptions } from '@stowage/s3';

/** The two namespaces of a deployment, as Zulip has them. */
export type Namespace = 'uploads' | 'avatars';
export const NAMESPACES: readonly Namespace[] = ['uploads', 'avatars'];

/** Where Zulip's local backend keeps each namespace under `LOCAL_UPLOADS_DIR`. */
export const LOCAL_NAMESPACE_DIRECTORIES: Readonly<Record<Namespace, string>> = {
  uploads: 'files',
  avatars: 'avatars',
};

/** URL path the chat app serves local avatars under, as Zulip's `/user_avatars/`. */
export const LOCAL_AVATARS_URL_PREFIX: string = '/user_avatars';

/** A deployment's two stores. */
export interface Stores {
  /** Private: message attachments, served after an access check. */
  readonly uploads: ObjectStore;
  /** Public: avatars, realm icons and logos, custom emoji. */
  readonly avatars: ObjectStore;
  /** Releases network connections (S3 clients) so the process can exit; the stores must not be used after. */
  close(): void;
}

export interface OpenStoresOptions {
  /** The file system of local stores: Node's (calls on libuv's pool) by default. */
  readonly localFileSystem?: LocalFileSystem | undefined;
  /**
   * Local backend: how the uploads store signs its links (`signedUrl`), for an app that serves and verifies them;
   * without it the local uploads store makes no signed links.
   */
  readonly localUploadsSigning?: UrlSigning | undefined;
  /** Client knobs for S3 stores (timeouts, sockets). */
  readonly s3Client?: S3ClientOptions | undefined;
  /** Part size and queue of streamed S3 puts (memory per put is about (queue + 1) x part size). */
  readonly s3PartSize?: number | undefined;
  readonly s3QueueSize?: number | undefined;
}

/**
 * The uploads and avatars stores the settings name: for local storage the `files/` and `avatars/` directories of
 * `LOCAL_UPLOADS_DIR` (each created on first use), for S3 the two buckets, each with a client built from the
 * settings. Throws `InvalidSettings` for options a store refuses.
 */
export function openStores(settings: StorageSettings, options: OpenStoresOptions = {}): Stores {
  if (settings.backend === 'local') {
    return {
      uploads: new LocalStore({
        root: join(settings.localUploadsDir, LOCAL_NAMESPACE_DIRECTORIES.uploads),
        fs: options.localFileSystem,
        signing: options.localUploadsSigning,
      }),
      avatars: new LocalStore({
        root: join(settings.localUploadsDir, LOCAL_NAMESPACE_DIRECTORIES.avatars),
        fs: options.localFileSystem,
        publicUrlPrefix: LOCAL_AVATARS_URL_PREFIX,
      }),
      close: () => undefined,
    };
  }
  const storeOptions = { ...options.s3Client, partSize: options.s3PartSize, queueSize: options.s3QueueSize };
  const uploads = S3Store.fromSettings(settings.s3, 'uploads', storeOptions);
  const avatars = S3Store.fromSettings(settings.s3, 'avatars', storeOptions);
  return {
    uploads,
    avatars,
    close: () => {
      uploads.destroy();
      avatars.destroy();
    },
  };
}
