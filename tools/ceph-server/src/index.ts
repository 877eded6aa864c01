export { CEPH_DEBIAN_PACKAGES, CephNotInstalledError, createTestBucket, startCephServer } from './start-ceph-server.ts';
export type {
  CephCredentials,
  CephServerConnection,
  CephTestServer,
  StartCephServerOptions,
} from './start-ceph-server.ts';
