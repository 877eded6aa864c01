import type { TestProject } from 'vitest/node';
import { startCephServer } from './start-ceph-server.ts';
import type {} from './vitest.ts';

/**
 * Vitest global setup: starts one Ceph gateway for the whole project, hands its connection to every test file
 * (`injectCephServer()` from `@stowage/ceph-server/vitest`), and stops it when the project's run ends. Test files
 * create buckets of their own (`createTestBucket`), so they can share the one gateway.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startCephServer();
  const { endpoint, port, credentials, clientConfig, directory, pids } = server;
  project.provide('cephServer', { endpoint, port, credentials, clientConfig, directory, pids });
  return () => server.stop();
}
