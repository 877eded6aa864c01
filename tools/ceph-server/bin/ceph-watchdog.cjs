'use strict';
// Watches the Ceph daemons a test process started, so they never outlive it. The parent writes "+PID" for each
// daemon it starts and "-PID" once that daemon has exited. When the parent closes stdin (it stopped cleanly, or
// it died and the kernel closed the pipe), every daemon still listed gets SIGTERM, one at a time, then SIGKILL
// after a grace period, and the directory holding the cluster's state is removed. Started in its own session so a Ctrl-C meant
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

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function end(pid) {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + GRACE_MS;
  while (alive(pid) && Date.now() < deadline) await sleep(100);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // It ended in time.
  }
}

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  // One at a time, newest first (the gateway, then the OSD, then the monitor): each shuts down cleanly and
  // quickly only while the daemon below it still answers.
  for (const pid of [...pids].reverse()) await end(pid);
  rmSync(directory, { recursive: true, force: true });
  process.exit(0);
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
process.stdin.on('end', () => void stop());
process.stdin.on('error', () => void stop());
process.on('SIGTERM', () => void stop());
process.on('SIGHUP', () => void stop());
process.on('SIGINT', () => {});
process.stdout.write('ready\n');
