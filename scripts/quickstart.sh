#!/usr/bin/env bash
# The main job: set up, run the quick benchmark suite (Strata and the peers side by side, embedded
# defaults, preset rocksdb-parity) and write a self-contained HTML report. Measured on the 2-core
# machine while other jobs ran: 2m31s and 5m28s including npm ci; SurrealKV seekrandom dominates.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
out=${1:-out/quick}
mkdir -p "$out"
node --import tsx bin/strata.ts bench run --suite quick --out "$out"
node --import tsx bin/strata.ts report "$out" --out "$out/report.html"
echo "quickstart: report written to $out/report.html"
