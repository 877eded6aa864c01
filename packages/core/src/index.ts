export type { Body, ByteRange, ChunkSource, GetOptions, GetResult, ListOptions, ObjectInfo, ObjectStore, ObjectSummary, PutOptions, PutResult, SignedUrlOptions } from './object-store.ts';
export { StorageError, abortableSleep, abortedError, isStorageError, throwIfAborted, unlessAborted } from './errors.ts';
export type { StorageErrorCode, StorageErrorOptions } from './errors.ts';
export { compareKeys } from './key-order.ts';
export { MAX_KEY_BYTES, keyProblem, validateKey, validatePrefix } from './keys.ts';
export { decodeKeyPath, encodeKeyPath } from './key-url-path.ts';
export { FALLBACK_FILENAME, MAX_FILENAME_BYTES, sanitizeFilename } from './filename.ts';
export { DEFAULT_CONTENT_TYPE, contentDisposition, guessContentType, isInlineContentType, mediaType, servedContentType } from './content-type.ts';
export { digestingStream, portableSha256, sha256Base64, toBase64, toHex } from './checksum.ts';
export type { Sha256Factory, StreamDigest, StreamingHash } from './checksum.ts';
export { READ_BODY_CHUNKS, abortableBodyChunks, bodyChunks, bodyToStream, collectBytes, knownBodySize, readResultBody } from './body.ts';
export type { ChunkReadableResult } from './body.ts';
export { resolveRange } from './range.ts';
export { checkFinalSize, checkReceivedSize, putSizeLimits } from './size-limits.ts';
export type { SizeLimits } from './size-limits.ts';
export type { ResolvedRange } from './range.ts';
export {
  DEFAULT_MAX_FILE_UPLOAD_MIB, S3_STORAGE_CLASSES, bucketNameProblem, parseBoolean, parsePositiveInteger, parseStorageSettings,
} from './settings.ts';
export type {
  Environment, LocalStorageSettings, S3AddressingStyle, S3Credentials, S3Settings, S3StorageClass, S3StorageSettings, StorageSettings,
} from './settings.ts';
export { MemoryStore } from './memory-store.ts';
export type { MemoryStoreOptions } from './memory-store.ts';
export { withCache } from './cache/cached-store.ts';
export type { CacheStats, CachedStore } from './cache/cached-store.ts';
export {
  CACHE_INDEX_BYTES_PER_ENTRY, DEFAULT_CACHE_INACTIVE_TIME, DEFAULT_DISK_CACHE_SIZE, DEFAULT_MEMORY_CACHE_SIZE, DEFAULT_SLICE_SIZE,
} from './cache/cache-options.ts';
export type { CacheOptions } from './cache/cache-options.ts';
