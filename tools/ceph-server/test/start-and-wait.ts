// Starts a gateway, prints its connection as one JSON line, and waits to be killed: the test that kills this
// process without a stop() checks the watchdog ends the daemons.
import { startCephServer } from '../src/index.ts';

const server = await startCephServer({ objectStore: 'memstore' });
process.stdout.write(
  `${JSON.stringify({ pids: server.pids, directory: server.directory, endpoint: server.endpoint })}\n`,
);
setInterval(() => undefined, 60_000);
