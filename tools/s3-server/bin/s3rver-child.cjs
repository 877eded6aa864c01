'use strict';
// Runs s3rver in its own process (started with --openssl-legacy-provider, which its listing code needs past
// 1,000 keys). With --tls KEY CERT, serves HTTPS with those PEM files. Prints {"port":N} once listening. Exits,
// removing its data directory, when its parent closes stdin: that also happens when the parent dies, so a crashed
// test run leaves no server or directory behind.
const { readFileSync, rmSync } = require('node:fs');
const S3rver = require('s3rver');

const tls = process.argv[2] === '--tls';
const [directory, ...buckets] = process.argv.slice(tls ? 5 : 2);
if (directory === undefined) {
  process.stderr.write('usage: s3rver-child.cjs [--tls KEY CERT] DIRECTORY [BUCKET...]\n');
  process.exit(2);
}
const certificate = tls ? { key: readFileSync(process.argv[3]), cert: readFileSync(process.argv[4]) } : {};

const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  ...certificate,
  configureBuckets: buckets.map((name) => ({ name, configs: [] })),
});

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  const finish = () => {
    rmSync(directory, { recursive: true, force: true });
    process.exit(0);
  };
  // Open keep-alive connections would hold close() forever.
  if (server.httpServer !== undefined) server.httpServer.closeAllConnections();
  server.close().then(finish, finish);
}

process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

server.run().then(
  ({ port }) => {
    process.stdout.write(`${JSON.stringify({ port })}\n`);
  },
  (error) => {
    process.stderr.write(`s3rver failed to start: ${error && error.stack ? error.stack : String(error)}\n`);
    rmSync(directory, { recursive: true, force: true });
    process.exit(1);
  },
);
