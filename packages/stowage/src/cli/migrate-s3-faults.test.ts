import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeSha256 } from '@stowage/core/node';
import { LocalStore } from '@stowage/local';
import { migrate } from '@stowage/migrate';
import { S3Store } from '@stowage/s3';
import { FakeS3, instantRetries } from '@stowage/s3/testing';
import { expectFaithfulCopy, writeZulipUploads } from '../../test/zulip-uploads.ts';
import { LOCAL_NAMESPACE_DIRECTORIES, NAMESPACES } from '../open-stores.ts';
import type { Namespace } from '../open-stores.ts';

const directories: string[] = [];
afterEach(async () => {
  await Promise.all(directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })));
});

async function scratch(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'stowage-faults-'));
  directories.push(directory);
  return directory;
}

function localStores(directory: string): Record<Namespace, LocalStore> {
  return {
    uploads: new LocalStore({ root: join(directory, LOCAL_NAMESPACE_DIRECTORIES.uploads) }),
    avatars: new LocalStore({ root: join(directory, LOCAL_NAMESPACE_DIRECTORIES.avatars) }),
  };
}

/** About one S3 request in ten fails: 500s, 503 SlowDown and dropped connections, on every operation. */
function faultyS3(seed: number, storeAttempts = 10): { fake: FakeS3; stores: Record<Namespace, S3Store> } {
  const fake = new FakeS3({ buckets: ['uploads-bucket', 'avatars-bucket'], seed });
  fake.faults.add({ kind: 'internal-error', probability: 0.04 });
  fake.faults.add({ kind: 'slow-down', probability: 0.03 });
  fake.faults.add({ kind: 'connection-reset', probability: 0.03 });
  // The store is the one retry layer for its requests (the migration does not retry them again), with the SDK's
  // strategy allowed enough attempts that ten faults in a row are needed to fail one.
  const options = { client: fake.client, retryStrategy: instantRetries(storeAttempts), partSize: 5 * 1024 * 1024 };
  return {
    fake,
    stores: {
      uploads: new S3Store({ ...options, bucket: 'uploads-bucket' }),
      avatars: new S3Store({ ...options, bucket: 'avatars-bucket', publicUrlBase: 'http://avatars.invalid' }),
    },
  };
}

const retry = { attempts: 10, baseDelayMs: 1, maxDelayMs: 5 };

describe('migrate with about 10% of S3 requests failing', () => {
  it('local to S3 and back again: every object arrives intact, nothing is lost, no multipart upload is left open', async () => {
    const source = await scratch();
    const fixture = await writeZulipUploads(source, { largeSizes: [12 * 1024 * 1024] });
    const local = localStores(source);
    const { fake, stores: s3 } = faultyS3(7);

    for (const namespace of NAMESPACES) {
      const report = await migrate(local[namespace], s3[namespace], { retry, sha256: nodeSha256 });
      expect(report.failures).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.copied.objects).toBe(fixture.filter((object) => object.namespace === namespace).length);
    }
    const injectedOnTheWayIn = fake.faults.injected;
    expect(injectedOnTheWayIn / fake.calls()).toBeGreaterThan(0.05);
    expect(fake.openUploads()).toEqual([]);
    fake.faults.clear();
    await expectFaithfulCopy(fixture, local, s3, true);

    fake.faults.add({ kind: 'internal-error', probability: 0.05 });
    fake.faults.add({ kind: 'connection-reset', probability: 0.05 });
    const back = localStores(await scratch());
    for (const namespace of NAMESPACES) {
      const report = await migrate(s3[namespace], back[namespace], { retry, sha256: nodeSha256 });
      expect(report.ok).toBe(true);
    }
    expect(fake.faults.injected).toBeGreaterThan(injectedOnTheWayIn);
    fake.faults.clear();
    await expectFaithfulCopy(fixture, local, back, true);
    fake.restore();
  });

  it('reports what still fails when faults outlast the retries, and a rerun then completes', async () => {
    const source = await scratch();
    const fixture = await writeZulipUploads(source, { attachments: 10 });
    const local = localStores(source);
    const { fake, stores: s3 } = faultyS3(11, 2);
    fake.faults.clear();
    fake.faults.add({ kind: 'internal-error', operations: ['PutObject'], probability: 0.5 });
    const first = await migrate(local.uploads, s3.uploads, { retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    expect(first.ok).toBe(false);
    expect(first.failed).toBeGreaterThan(0);
    // The store retried each once; the migration, retrying nothing the store already retried, made one attempt.
    expect(first.failures.every((failure) => failure.code === 'Unavailable' && failure.attempts === 1)).toBe(true);
    expect(first.copied.objects + first.failed).toBe(fixture.filter((object) => object.namespace === 'uploads').length);

    fake.faults.clear();
    const second = await migrate(local.uploads, s3.uploads, { retry });
    expect(second.ok).toBe(true);
    expect(second.skipped.objects).toBe(first.copied.objects);
    expect(second.copied.objects).toBe(first.failed);
    await expectFaithfulCopy(
      fixture.filter((object) => object.namespace === 'uploads'),
      local,
      s3,
      false,
    );
    fake.restore();
  });
});
