import type { ObjectStore } from '@stowage/core';
import type { Stores } from 'stowage';

/** What a signed-link check concluded about a request. */
export type SignedLinkCheck =
  | { readonly kind: 'absent' }
  | {
      readonly kind: 'valid';
      readonly key: string;
      readonly disposition: 'inline' | 'attachment' | undefined;
      readonly filename: string | undefined;
    }
  | { readonly kind: 'invalid'; readonly reason: string };

/**
 * The two stores of a deployment and how the app serves them. Built from the storage settings at the entry point
 * (`openChatStores`), or by hand in tests.
 */
export interface ChatStores {
  /** Which backend holds the files (nginx mode sends local files from disk and S3 objects through its cache). */
  readonly backend: 'local' | 's3';
  /** Private: message attachments and their thumbnails. */
  readonly uploads: ObjectStore;
  /** Public: avatars, realm icons and logos, custom emoji. */
  readonly avatars: ObjectStore;
  /** The local store's layout adds a shard directory to attachment keys (Zulip's). */
  readonly shardAttachmentKeys: boolean;
  /** Answer upload requests with a redirect to a 60 s signed store URL instead of streaming through the app. */
  readonly redirectUploads: boolean;
  /**
   * The URL clients fetch a public avatar-store key from. Undefined: the app serves it at `/user_avatars/{key}`.
   */
  readonly avatarPublicUrl: ((key: string) => string) | undefined;
  /**
   * Checks the signature on a `/user_uploads/...` request (local store: HMAC token made by its `signedUrl`).
   * `absent` when the request carries none. Undefined when the store's signed URLs point elsewhere (S3).
   */
  readonly checkSignedLink: ((url: URL, now: Date) => SignedLinkCheck) | undefined;
  /** The stores as the `stowage` library opened them from the settings (none when built by hand in tests). */
  readonly deployment?: Stores | undefined;
  /** Releases the stores' connections (S3 clients); the stores must not be used after. */
  readonly close: () => void;
}
