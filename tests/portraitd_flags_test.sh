#!/usr/bin/env bash
# portraitd refuses out-of-range cluster flags before it starts: exit
# status 1 and a message naming the flag, the value and the range.
set -uo pipefail
portraitd=$1
refused() {
  local expected=$1
  shift
  local out rc
  out=$("$portraitd" --listen=127.0.0.1:0 --plaintext_loopback \
    --data_dir="${TEST_TMPDIR:-/tmp}/flags-test" "$@" 2>&1)
  rc=$?
  if [[ $rc != 1 ]]; then
    echo "portraitd $*: exit status $rc, not 1: $out"
    exit 1
  fi
  if ! grep -qF -- "$expected" <<<"$out"; then
    echo "portraitd $*: no \"$expected\" in: $out"
    exit 1
  fi
}
refused "--peer_sync_ms is 50; must be 100 to 60000" --peer_sync_ms=50
refused "--peer_circles_timeout_ms is 5; must be 10 to 10000" \
  --peer_circles_timeout_ms=5
refused "--peer_circles_timeout_ms is 20000; must be 10 to 10000" \
  --peer_circles_timeout_ms=20000
echo "portraitd_flags_test: every out-of-range flag refused"
