#!/usr/bin/env bash
# Installs what Strata needs on a fresh Debian machine with Node 20: the npm packages (zstd-napi
# builds from source with node-gyp, ~1 min; no prebuilt binary is downloaded) and, with --browser,
# Debian's chromium for the report browser tests. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--browser" ]] && ! command -v chromium >/dev/null 2>&1; then
  echo "setup: installing Debian chromium for the browser tests"
  if [[ $(id -u) -eq 0 ]]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi
fi

# prebuild-install would try to fetch a zstd-napi binary from GitHub first; build it from source.
export npm_config_build_from_source=zstd-napi
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi
node -e "require('zstd-napi'); require('hash-wasm')" || { echo "setup: native modules failed to load" >&2; exit 1; }
echo "setup: done"
