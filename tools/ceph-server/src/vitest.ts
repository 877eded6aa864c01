import { inject } from 'vitest';
import type { CephServerConnection } from './start-ceph-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The gateway `@stowage/ceph-server/global-setup` started for this project. */
    cephServer?: CephServerConnection;
  }
}

/**
 * The gateway the project's `globalSetup` (`@stowage/ceph-server/global-setup`) started, inside a test file.
 * Throws, saying how to fix it, when the project has no such global setup.
 */
export function injectCephServer(): CephServerConnection {
  const server = inject('cephServer');
  if (server === undefined) {
    throw new Error(
      "no Ceph gateway was provided: add '@stowage/ceph-server/global-setup' to this vitest project's globalSetup",
    );
  }
  return server;
}
