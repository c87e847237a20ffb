#!/usr/bin/env bash
# Runs a test program with its arguments; passes when it exits 0.
set -euo pipefail
exec "$@"
