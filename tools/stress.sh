#!/usr/bin/env bash
# Runs the concurrency, cancellation, fault, crash, deletion, access and
# cluster tests many times in a row (default 20 each) to catch a test that fails
# once in a while. A test that fails once is a bug: its log is printed and
# kept (tools/test.sh keeps them under test-failures/ the same way).
#   tools/stress.sh [--runs=N] [extra bazel flags]
set -uo pipefail
cd "$(dirname "$0")/.."
runs=20
if [[ "${1:-}" == --runs=* ]]; then
  runs="${1#--runs=}"
  shift
fi
targets=(
  //tests:consent_concurrency_test
  //services/recommend:recommender_concurrency_test
  //services/locking:user_locks_test
  //base:parallel_for_test
  //base:cancellation_test
  //tests:call_off_test
  //tests:limits_test
  //tests:storage_fault_test
  //tests:fault_recovery_test
  //services/push:push_planner_test
  //tests:push_test
  //tests:crash_loop_test
  //tests:access_test
  //tests:deletion_test
  //services/portrait:user_portrait_test
  //tests:metrics_test
  //tests:backup_test
  //tests:cluster_test
  //tests:cluster_training_test
  //services/server:cluster_trainer_test
  //tests:shard_guard_test
  //services/portrait:portrait_index_test
  //tests:cluster_circles_test
  //tests:reshard_test
  //services/cluster:user_move_test
)
started=$(date +%s)
bazel test --runs_per_test="$runs" --test_output=errors --keep_going \
  "${targets[@]}" "$@"
rc=$?
python3 tools/keep_failed_logs.py --since="$started" bazel-testlogs \
  "${targets[@]}"
exit $rc
