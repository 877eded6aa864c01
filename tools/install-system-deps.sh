#!/usr/bin/env bash
# Installs the Debian packages the test suite and benchmarks need: python3, make and g++ for native modules that
# npm ci builds from source, a real browser for the web UI tests, Ceph's
# monitor, OSD and RADOS Gateway for the signature-checking S3 (tools/ceph-server), nginx and wrk for the nginx
# mode's tests and benchmarks, and rclone as the benchmarks' peer.
# Skips the package manager when everything is already present, so a developer's rerun is instant.
set -euo pipefail
needed=()
need() { # need COMMAND PACKAGE: install PACKAGE unless COMMAND is on PATH (or in /usr/sbin, off a user's PATH)
  command -v "$1" >/dev/null 2>&1 || [[ -x /usr/sbin/$1 ]] || needed+=("$2")
}
# better-sqlite3 (the demo app's database) compiles with these when no prebuilt binary matches the Node version.
need python3 python3
need make make
need g++ g++
need chromium chromium
need ceph-mon ceph-mon
need ceph-osd ceph-osd
need radosgw radosgw
need radosgw-admin ceph-common
need ceph-authtool ceph-common
need nginx nginx
need wrk wrk
need rclone rclone
if ((${#needed[@]} > 0)); then
  # One package can provide several commands.
  mapfile -t needed < <(printf '%s\n' "${needed[@]}" | sort -u)
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${needed[@]}"
fi
