import type { S3Client, S3ClientConfig, ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-s3';
import type { FinalizeRequestMiddleware, HttpRequest } from '@smithy/types';

/**
 * Which checksums requests carry. Since January 2025 the SDK adds a CRC32 to every upload by default, streamed
 * uploads as an `aws-chunked` body with a trailer. AWS understands that; many S3-compatible servers do not (s3rver
 * 3.7.1 stores the chunk framing inside the object and answers 200). `aws` keeps the SDK's defaults; `s3-compatible`
 * sends a checksum only where the operation requires one (DeleteObjects), never two on one request, and never an
 * `aws-chunked` body.
 */
export type S3ChecksumProfile = 'aws' | 's3-compatible';

/** The client settings a profile stands for. */
export function checksumConfig(
  profile: S3ChecksumProfile,
): Pick<S3ClientConfig, 'requestChecksumCalculation' | 'responseChecksumValidation'> {
  return profile === 'aws'
    ? { requestChecksumCalculation: 'WHEN_SUPPORTED', responseChecksumValidation: 'WHEN_SUPPORTED' }
    : { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' };
}

/** The request headers that carry a body checksum. */
export function checksumHeaders(headers: Readonly<Record<string, string>>): string[] {
  return Object.keys(headers)
    .map((name) => name.toLowerCase())
    .filter(
      (name) =>
        name === 'content-md5' ||
        (name.startsWith('x-amz-checksum-') && name !== 'x-amz-checksum-algorithm' && name !== 'x-amz-checksum-type'),
    );
}

/** Why a request must not go to a generic S3-compatible server, or `undefined` when it may. */
export function s3CompatibleRequestProblem(request: Pick<HttpRequest, 'headers'>): string | undefined {
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  if (
    (headers['content-encoding'] ?? '').includes('aws-chunked') ||
    headers['x-amz-trailer'] !== undefined ||
    (headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-')
  ) {
    return 'it has an aws-chunked body, which S3-compatible servers may store with its framing inside';
  }
  const checksums = checksumHeaders(headers);
  if (checksums.length > 1)
    return `it carries ${checksums.length} checksums (${checksums.join(', ')}), which some servers reject`;
  return undefined;
}

const GUARD_NAME = 'stowageS3CompatibleChecksumGuard';

/**
 * Refuses, before it is signed and sent, any request the `s3-compatible` profile must never send: the profile
 * settings already prevent them, and this makes a regression (an SDK default changing again) fail loudly rather
 * than corrupt stored objects silently.
 */
export function addS3CompatibleGuard(client: S3Client): void {
  const guard: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next) => async (args) => {
    const request = args.request as HttpRequest;
    const problem = s3CompatibleRequestProblem(request);
    if (problem !== undefined) {
      throw new Error(`refusing to send ${request.method} ${request.path} to an S3-compatible server: ${problem}`);
    }
    return next(args);
  };
  client.middlewareStack.remove(GUARD_NAME);
  // finalizeRequest runs after the build step, where the checksum middleware sets its headers.
  client.middlewareStack.add(guard, { step: 'finalizeRequest', priority: 'high', name: GUARD_NAME });
}
