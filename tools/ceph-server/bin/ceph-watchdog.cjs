'use strict';
// Watches the Ceph daemons a test process started, so they never outlive it. The parent writes "+PID" for each
// daemon it starts and "-PID" once that daemon has exited. When the parent closes stdin (it stopped cleanly, or
// it died and the kernel closed the pipe), every daemon still listed gets SIGTERM, then SIGKILL after a grace
// period, and the directory holding the cluster's state is removed. Started in its own session so a Ctrl-C meant
// for the parent does not reach it; SIGINT is ignored for the same reason.
const { rmSync } = require('node:fs');

const directory = process.argv[2];
if (directory === undefined) {
  process.stderr.write('usage: ceph-watchdog.cjs DIRECTORY\n');
  process.exit(2);
}
const GRACE_MS = 10_000;
const pids = new Set();
let pending = '';

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  // Newest first: the gateway before the OSD before the monitor, as a clean shutdown goes.
  const order = [...pids].reverse();
  for (const pid of order) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      pids.delete(pid);
    }
  }
  const deadline = Date.now() + GRACE_MS;
  const timer = setInterval(() => {
    const left = order.filter(alive);
    if (left.length > 0 && Date.now() < deadline) return;
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone in between.
      }
    }
    clearInterval(timer);
    rmSync(directory, { recursive: true, force: true });
    process.exit(0);
  }, 100);
}

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  let newline;
  while ((newline = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, newline).trim();
    pending = pending.slice(newline + 1);
    const pid = Number(line.slice(1));
    if (!Number.isSafeInteger(pid) || pid <= 0) continue;
    if (line.startsWith('+')) pids.add(pid);
    else if (line.startsWith('-')) pids.delete(pid);
  }
});
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.on('SIGTERM', stop);
process.on('SIGHUP', stop);
process.on('SIGINT', () => {});
process.stdout.write('ready\n');
