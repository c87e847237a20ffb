#!/usr/bin/env bash
# Builds the libFuzzer targets with Debian's clang (AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs each for a bounded time.
#
#   tools/fuzz/run.sh [--seconds=N] [target ...]
#
# N seconds per target (default 10, what the test command runs; use e.g.
# --seconds=600 for a real hunt). Each run first replays the regression inputs
# in tools/fuzz/regressions/<target>/ (inputs that once crashed: copy a
# crash-* file there when you fix its bug). A crash leaves its input in
# var/fuzz/<target>/ and makes this script exit 1.
#
# Bazel builds the project with GCC; the fuzzers are compiled here, outside
# Bazel, against the protobuf sources Bazel generated (so build first:
# tools/test.sh does).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=10
if [[ "${1:-}" == --seconds=* ]]; then
  seconds="${1#--seconds=}"
  shift
fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(request_validation record_decoding config_parsing)

bazel build //proto/portrait/v1:portrait_cc_proto \
  //proto/portrait/storage:records_cc_proto //config:shipped_ranking \
  >/dev/null 2>&1 || { echo "fuzz: bazel build failed" >&2; exit 1; }
gen=$(bazel info bazel-bin 2>/dev/null)
out=var/fuzz
mkdir -p "$out/obj"

# Sources each fuzzer links, besides its own file.
common=(services/storage/ids.cc)
protos=("$gen"/proto/portrait/v1/{common,consent,ingest,policy,ranking,recommend,push,profile}.pb.cc
        "$gen"/proto/portrait/storage/records.pb.cc)
declare -A sources=(
  [request_validation]="services/ingest/validation.cc services/ingest/contacts.cc services/consent/consent_changes.cc services/consent/consent_view.cc services/consent/policy.cc base/text_proto.cc"
  [record_decoding]="services/storage/records.cc services/storage/keys.cc"
  [config_parsing]="config/ranking_config.cc services/consent/policy.cc base/text_proto.cc $gen/config/shipped_ranking.cc"
)
flags=(-std=c++17 -O1 -g -fsanitize=address,undefined
       -fno-sanitize-recover=all -I. -I"$gen/proto" -I"$gen"
       -I/usr/include/eigen3)
absl=(absl_status absl_statusor absl_strings absl_str_format absl_time
      absl_hash absl_raw_hash_set absl_synchronization absl_log_severity
      absl_raw_logging_internal)
read -r -a absl_libs <<<"$(pkg-config --libs "${absl[@]}")"
libs=(-lprotobuf -lcrypto -lpthread "${absl_libs[@]}")

# Compiles a source to an object once (again only when the source is newer).
object() {
  local src=$1 obj
  obj="$out/obj/$(echo "$src" | tr '/' '_' | sed 's/\.cc$/.o/')"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then
    clang++ "${flags[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
  fi
  echo "$obj"
}

status=0
for target in "${targets[@]}"; do
  objs=()
  for src in "${common[@]}" "${protos[@]}" ${sources[$target]}; do
    objs+=("$(object "$src")")
  done
  binary="$out/${target}_fuzzer"
  clang++ "${flags[@]}" -fsanitize=fuzzer "tools/fuzz/${target}_fuzzer.cc" \
    "${objs[@]}" "${libs[@]}" -o "$binary"
  corpus="$out/$target/corpus"
  mkdir -p "$corpus" "tools/fuzz/regressions/$target"
  if [ "$target" = config_parsing ]; then
    cp config/ranking.textproto config/consent_policy.textproto "$corpus/"
  fi
  # Every earlier crash first, once each.
  if compgen -G "tools/fuzz/regressions/$target/*" >/dev/null; then
    "$binary" tools/fuzz/regressions/"$target"/* >"$out/$target.regressions.log" 2>&1 ||
      { echo "fuzz: $target: a regression input fails again" \
             "($out/$target.regressions.log)"; status=1; continue; }
  fi
  if "$binary" -max_total_time="$seconds" -artifact_prefix="$out/$target/" \
       "$corpus" >"$out/$target.log" 2>&1; then
    echo "fuzz: $target: no crash in ${seconds} s" \
         "($(grep -o 'Done [0-9]* runs' "$out/$target.log" | tail -1))"
  else
    echo "fuzz: $target: CRASH; input and log in $out/$target/ and $out/$target.log"
    tail -30 "$out/$target.log"
    status=1
  fi
done
exit $status
