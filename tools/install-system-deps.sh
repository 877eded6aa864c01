#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (a real browser for the web UI tests).
# Skips the package manager when everything is already present, so a developer's rerun is instant.
set -euo pipefail
needed=()
command -v chromium >/dev/null 2>&1 || needed+=(chromium)
if ((${#needed[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${needed[@]}"
fi
