#!/usr/bin/env bash
# Installs the Debian packages Rampart's build and tests need (idempotent).
# Usage: scripts/deps.sh build|test
set -euo pipefail
want=(cmake)
if [ "${1:-build}" = test ]; then
  want+=(python3-yaml redis-server chromium nodejs curl openssl pebble)
fi
missing=()
for p in "${want[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
