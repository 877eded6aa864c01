export { DEFAULT_STALE_AFTER_MS, LocalStore } from './local-store.ts';
export type { CleanupReport, LocalStoreOptions } from './local-store.ts';
export { blockingNodeFileSystem, nodeFileSystem } from './file-system.ts';
export type { LocalDirent, LocalFileHandle, LocalFileSystem, LocalStats } from './file-system.ts';
export { RESERVED_DIRECTORY } from './layout.ts';
export { MAX_SIGNED_URL_SECONDS, MIN_SIGNING_SECRET_BYTES, signObjectUrl, verifySignedUrl } from './signed-url.ts';
export type { InvalidSignedUrl, SignUrlRequest, SignedUrlVerdict, UrlSigning, ValidSignedUrl } from './signed-url.ts';
