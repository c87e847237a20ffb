#!/usr/bin/env bash
# The main job: builds portraitd, starts it on its embedded default database
# (RocksDB under ./var/portrait), runs the demo client against it, and stops
# it cleanly. With --serve, leaves portraitd running in the foreground after
# the demo (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
bazel build //tools/portraitd //tools/demo:portrait_demo

# A development contact key (docs/CONTACTS.md), made once, readable by the
# owner only. Production keys come from the operator's secret store.
key=var/contact.key
if [ ! -s "$key" ]; then
  mkdir -p var
  (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$key")
fi

log=$(mktemp)
# --retrain_after_s=5: the demo waits for a model version that has seen
# its feed world (the default retrains every 10 minutes when data changed).
# --disk_erasure_interval_s=1: it waits (5 s at most) for its revocation's
# receipt to be complete, on-disk erasure included (the default pass runs
# once a minute).
bazel-bin/tools/portraitd/portraitd --listen=127.0.0.1:0 --plaintext_loopback --retrain_after_s=5 \
  --disk_erasure_interval_s=1 --contact_key_file="$key" >"$log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*"event":"serving","port":\([0-9]*\).*/\1/p' "$log")
  [ -n "$port" ] && break
  kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "portraitd did not start"; cat "$log"; exit 1; }
cat "$log"

bazel-bin/tools/demo/portrait_demo --server="127.0.0.1:$port"

if [ "${1:-}" = "--serve" ]; then
  echo "portraitd keeps serving on 127.0.0.1:$port; Ctrl-C to stop"
  tail -f "$log" &
  wait $pid
else
  kill -TERM $pid
  wait $pid
  cat "$log" | tail -2
fi
trap - EXIT
rm -f "$log"
