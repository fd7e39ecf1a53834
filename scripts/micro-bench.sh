#!/usr/bin/env bash
# Runs every tinybench micro-benchmark of the hot pieces, one after another (a few minutes):
# memtable insert/get/walk; data block encode, decode + seek and filter probe on their own
# (benchsuite/micro); table get and scan; each block transform axis; blob frame write/read.
# They time things and check only their own results.
set -euo pipefail
cd "$(dirname "$0")/.."
for bench in engine/memtable/memtable.bench.ts benchsuite/micro/table-pieces.bench.ts engine/table/table.bench.ts engine/transform/pipeline.bench.ts blobtree/blob-file/blob-file.bench.ts; do
  echo "== $bench"
  node --import tsx "$bench"
done
