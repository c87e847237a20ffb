#!/usr/bin/env bash
# tools/cluster/reshard and tools/cluster/ring refuse bad flags and
# directories with the exit status their usage documents (2: flags, 1: a
# directory that cannot take part) and a message naming what is wrong, and
# a refused reshard leaves no directory marked.
set -uo pipefail
reshard=$1
ring=$2
portraitd=$3
dir="${TEST_TMPDIR:-/tmp}/cluster-tools-flags"
rm -rf "$dir"
mkdir -p "$dir"
expect() {
  local status=$1 expected=$2
  shift 2
  local out rc
  out=$("$@" 2>&1 </dev/null)
  rc=$?
  if [[ $rc != "$status" ]]; then
    echo "$*: exit status $rc, not $status: $out"
    exit 1
  fi
  if ! grep -qF -- "$expected" <<<"$out"; then
    echo "$*: no \"$expected\" in: $out"
    exit 1
  fi
}
data="--data=s0=$dir/s0,s1=$dir/s1"
expect 2 "--shards: is empty" "$reshard" "$data"
expect 2 "--data: names no directory for shard s2" \
  "$reshard" --shards=s0,s1,s2 "$data"
expect 2 "--shards: s1 is named twice" "$reshard" --shards=s0,s1,s1 "$data"
expect 2 "--data: s0 is not NAME=DIRECTORY" "$reshard" --shards=s0 --data=s0
expect 2 "--data: s0 is named twice" \
  "$reshard" --shards=s0 "--data=s0=$dir/a,s0=$dir/b"
expect 2 "--shards: s/0: may hold only the characters [A-Za-z0-9_.:@-]" \
  "$reshard" "--shards=s/0" "$data"
expect 2 "--catalog_from: no shard of --shards has run as a shard" \
  "$reshard" --shards=s0,s1 "$data"
expect 2 "--catalog_from: names no shard of --data" \
  "$reshard" --shards=s0,s1 "$data" --catalog_from=s9

# Two shards that ran, then a directory given under the other's name.
for name in s0 s1; do
  peer=$([[ $name == s0 ]] && echo s1 || echo s0)
  "$portraitd" --listen=127.0.0.1:0 --plaintext_loopback --data_dir="$dir/$name" \
    --shard_name=$name --peers=$peer=127.0.0.1:1 >"$dir/$name.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    grep -q '"event":"serving"' "$dir/$name.log" && break
    sleep 0.1
  done
  # While it runs, its directory is locked.
  if [[ $name == s0 ]]; then
    expect 1 "is its portraitd still running?" \
      "$reshard" --shards=s0,s1 "$data"
  fi
  kill "$pid"
  wait "$pid"
done
expect 1 "s0 ($dir/s1): this directory is shard s1's" \
  "$reshard" --shards=s0,s1 "--data=s0=$dir/s1,s1=$dir/s0"
# Nothing refused marked a directory: both shards start as before.
"$reshard" --shards=s0,s1 "$data" --dry_run >"$dir/dry.txt" 2>&1 ||
  { echo "dry run failed: $(cat "$dir/dry.txt")"; exit 1; }
grep -qF "would move 0 users" "$dir/dry.txt" ||
  { echo "dry run: $(cat "$dir/dry.txt")"; exit 1; }

expect 2 "--shards: is empty" "$ring" ann
expect 2 "user ann/1: may hold only the characters [A-Za-z0-9_.:@-]" \
  "$ring" --shards=s0,s1 "ann/1"
expect 0 "ann s" "$ring" --shards=s0,s1 ann
echo "cluster_tools_flags_test: every refusal has its status and message"
