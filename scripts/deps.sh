#!/usr/bin/env bash
# Installs the Debian packages Rampart's build and tests need (idempotent).
# Usage: scripts/deps.sh build|test
set -euo pipefail
want=(cmake make)
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
# The OpenAPI validator (PyPI; Debian does not package it) for tests/admin.rs.
if [ "${1:-build}" = test ] && ! python3 -c 'import openapi_spec_validator' 2>/dev/null; then
  echo "installing: openapi-spec-validator (PyPI)" >&2
  python3 -m pip install -q --disable-pip-version-check openapi-spec-validator 2>/dev/null ||
    python3 -m pip install -q --disable-pip-version-check --break-system-packages openapi-spec-validator
fi
