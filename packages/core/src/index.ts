export type {
  Body,
  ByteRange,
  ChunkSource,
  GetOptions,
  GetResult,
  ListOptions,
  ObjectInfo,
  ObjectStore,
  ObjectSummary,
  PutOptions,
  PutResult,
  SignedUrlOptions,
} from './object-store.ts';
export { StorageError, abortableSleep, abortedError, isStorageError, throwIfAborted } from './errors.ts';
export type { StorageErrorCode } from './errors.ts';
export { compareKeys } from './key-order.ts';
export { keyProblem, validateKey, validatePrefix } from './keys.ts';
export { decodeKeyPath, encodeKeyPath } from './key-url-path.ts';
export { sanitizeFilename } from './filename.ts';
export {
  DEFAULT_CONTENT_TYPE,
  contentDisposition,
  guessContentType,
  isInlineContentType,
  mediaType,
  servedContentType,
} from './content-type.ts';
export { digestingStream, portableSha256, sha256Base64, toBase64, toHex } from './checksum.ts';
export type { Sha256Factory, StreamDigest, StreamingHash } from './checksum.ts';
export {
  READ_BODY_CHUNKS,
  abortableBodyChunks,
  bodyChunks,
  bodyToStream,
  collectBytes,
  knownBodySize,
  readResultBody,
} from './body.ts';
export type { ChunkReadableResult } from './body.ts';
export { resolveRange } from './range.ts';
export type { ResolvedRange } from './range.ts';
export { checkFinalSize, checkReceivedSize, putSizeLimits } from './size-limits.ts';
export type { SizeLimits } from './size-limits.ts';
export { bucketNameProblem, parseBoolean, parsePositiveInteger, parseStorageSettings } from './settings.ts';
export type { Environment, S3Settings, S3StorageClass, StorageSettings } from './settings.ts';
export { MemoryStore } from './memory-store.ts';
export { withCache } from './cache/cached-store.ts';
export type { CachedStore } from './cache/cached-store.ts';
export type { CacheOptions } from './cache/cache-options.ts';
