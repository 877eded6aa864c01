export { LocalStore } from './local-store.ts';
export type { LocalStoreOptions } from './local-store.ts';
export { blockingNodeFileSystem } from './file-system.ts';
export type { LocalFileSystem } from './file-system.ts';
export { RESERVED_DIRECTORY } from './layout.ts';
export { verifySignedUrl } from './signed-url.ts';
export type { SignedUrlVerdict, UrlSigning } from './signed-url.ts';
