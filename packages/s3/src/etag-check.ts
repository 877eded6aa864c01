import type { StreamingHash } from '@stowage/core';
import { nodeHashFactory } from '@stowage/core/node';

/** Makes a fresh MD5 (only to compare with S3's ETags, never as a checksum of record). */
export type Md5Factory = () => StreamingHash;

/** MD5 through `node:crypto` (Deno provides it too). */
export const nodeMd5: Md5Factory = nodeHashFactory('md5');

/** What an upload's answer says about how the object is stored. */
export interface UploadAnswer {
  readonly ETag?: string | undefined;
  readonly ServerSideEncryption?: string | undefined;
  readonly SSECustomerAlgorithm?: string | undefined;
}

function hex(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += byte.toString(16).padStart(2, '0');
  return text;
}

/** The ETag S3 gives a single PutObject of bytes with this MD5: the MD5 in hex. */
export function singleUploadEtag(md5: Uint8Array): string {
  return hex(md5);
}

/** The ETag S3 gives a completed multipart upload: the MD5 of the parts' MD5s, a dash, the number of parts. */
export function multipartUploadEtag(partMd5s: readonly Uint8Array[], md5: Md5Factory): string {
  const hash = md5();
  for (const part of partMd5s) hash.update(part);
  return `${hex(hash.digest())}-${partMd5s.length}`;
}

/** An ETag without its quotes, lower-cased. */
export function bareEtag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  return etag.replace(/^(?:W\/)?"|"$/gu, '').toLowerCase();
}

/**
 * Whether the answer can prove the bytes: S3 makes the ETag from the MD5 of what it received unless the object is
 * encrypted with KMS keys or a customer key (then it is some other digest), and a server may give no ETag at all.
 */
export function etagIsComparable(answer: UploadAnswer): boolean {
  if (answer.ETag === undefined || answer.ETag === '' || answer.ETag === '""') return false;
  if (answer.SSECustomerAlgorithm !== undefined) return false;
  const sse = answer.ServerSideEncryption?.toLowerCase();
  return sse === undefined || sse === 'aes256';
}

/**
 * An ETag in the quoted form S3 gives in HEAD and GET answers, which some servers leave out elsewhere (Ceph answers
 * a CompleteMultipartUpload and a CopyObject with a bare one); `undefined` when there is none to quote.
 */
export function quotedEtag(etag: string | undefined): string | undefined {
  if (etag === undefined || etag === '' || etag === '""') return undefined;
  return /^(?:W\/)?".*"$/u.test(etag) ? etag : `"${etag}"`;
}
