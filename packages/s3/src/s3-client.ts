import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Settings } from '@stowage/core';
import { addS3CompatibleGuard, checksumConfig } from './checksum-profile.ts';
import type { S3ChecksumProfile } from './checksum-profile.ts';
import { clientS3 } from './sdk.ts';

/** Knobs of a client built from settings; the defaults suit both AWS and a server on the local network. */
export interface S3ClientOptions {
  /** Checksum profile; defaults to `s3ChecksumProfile(settings)`. */
  readonly checksumProfile?: S3ChecksumProfile | undefined;
  /** Time allowed to open a TCP connection; defaults to 3 s, so an unreachable endpoint fails fast. */
  readonly connectionTimeoutMs?: number | undefined;
  /** Time a request may go without any byte moving; defaults to 30 s. */
  readonly requestTimeoutMs?: number | undefined;
  /** Concurrent connections to the endpoint; defaults to 50. */
  readonly maxSockets?: number | undefined;
}

const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_CONNECTION_TIMEOUT_MS = 3_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_SOCKETS = 50;

/**
 * Clients `createS3Client` built for an S3-compatible endpoint, with the `send` they were built with: only these
 * may take the store's lean requests (see `leanRequestsFor`), and only while `send` is still that one (a test that
 * mocks it must see every request).
 */
const leanClients = new WeakMap<S3Client, S3Client['send']>();

/** Whether `client` is one `createS3Client` built for an S3-compatible endpoint, with its `send` untouched. */
export function allowsLeanRequests(client: S3Client): boolean {
  const send = leanClients.get(client);
  return send !== undefined && send === client.send;
}

/** The region the settings name, or `us-east-1` (which S3-compatible servers accept in signatures). */
export function s3Region(settings: Pick<S3Settings, 'region'>): string {
  return settings.region ?? DEFAULT_REGION;
}

/**
 * Whether requests address the bucket in the path. `auto` means virtual-hosted on AWS (path style is deprecated
 * there) and path style on any other endpoint, since their host names rarely resolve per bucket.
 */
export function usesPathStyle(settings: Pick<S3Settings, 'addressingStyle' | 'endpointUrl'>): boolean {
  if (settings.addressingStyle === 'path') return true;
  if (settings.addressingStyle === 'virtual') return false;
  return settings.endpointUrl !== undefined;
}

/**
 * `aws` for AWS itself (no endpoint URL) unless `S3_SKIP_CHECKSUM` is set; `s3-compatible` for any other endpoint
 * or when checksums are to be skipped, as Zulip's `S3_SKIP_CHECKSUM` intends.
 */
export function s3ChecksumProfile(settings: Pick<S3Settings, 'endpointUrl' | 'skipChecksum'>): S3ChecksumProfile {
  return settings.endpointUrl === undefined && !settings.skipChecksum ? 'aws' : 's3-compatible';
}

/** The endpoint requests go to, for messages and public URLs. */
export function s3EndpointUrl(settings: Pick<S3Settings, 'endpointUrl' | 'region'>): string {
  return settings.endpointUrl ?? `https://s3.${s3Region(settings)}.amazonaws.com`;
}

/**
 * An `S3Client` for the settings: endpoint, region, addressing style, the checksum profile, static credentials or
 * the SDK's default chain (environment, profile, instance role), and timeouts so a dead endpoint fails within
 * seconds. `maxAttempts` is 1 because `S3Store` runs the SDK's retry strategy itself around each request.
 */
export function createS3Client(settings: S3Settings, options: S3ClientOptions = {}): S3Client {
  const profile = options.checksumProfile ?? s3ChecksumProfile(settings);
  const maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS;
  const client = new (clientS3().S3Client)({
    region: s3Region(settings),
    ...(settings.endpointUrl === undefined ? {} : { endpoint: settings.endpointUrl }),
    forcePathStyle: usesPathStyle(settings),
    ...(settings.credentials === undefined ? {} : { credentials: { ...settings.credentials } }),
    ...checksumConfig(profile),
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      httpAgent: { keepAlive: true, maxSockets },
      httpsAgent: { keepAlive: true, maxSockets },
    },
  });
  if (profile === 's3-compatible') {
    addS3CompatibleGuard(client);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to compare, never called
    if (settings.endpointUrl !== undefined) leanClients.set(client, client.send);
  }
  return client;
}
