#!/usr/bin/env bash
# Runs a benchmark binary with small sizes; passes if it exits 0 and prints
# at least one "ratio" line (the benchmark checks its own results).
set -euo pipefail
out=$("$@" 2>&1) || { echo "$out"; exit 1; }
echo "$out"
grep -q "ratio" <<<"$out"
