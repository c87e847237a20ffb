#!/usr/bin/env bash
# Runs every test (unit, integration, property, fault, and the short versions
# of the benchmarks), the concurrency tests once more under
# AddressSanitizer, and three checks of the source (each counted as one):
# folders depend on each other without cycles (tools/check_layers.py), the
# lock annotations hold under clang's -Wthread-safety
# (tools/check_thread_safety.py), the C++ is formatted as .clang-format
# says (clang-format; `tools/format.sh` fixes it), the fuzzers find no
# crash in 10 s each (tools/fuzz/run.sh), and the README's first command,
# tools/quickstart.sh, runs its demo through. Ends with one line "N passed, N failed, N skipped",
# counted from the test cases in Bazel's test.xml results. Exits non-zero if
# any failed. The log of a failed test is printed and kept in test-failures/.
set -uo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh || exit 1

# The concurrency tests again under AddressSanitizer (a use-after-free in a
# shared cache does not fail a plain run). First, so that the plain run below
# leaves the bazel-* symlinks pointing at the plain build.
asan_targets="//services/recommend:recommender_concurrency_test //tests:consent_concurrency_test"
# --test_output=errors prints the log of every failed test where CI shows it;
# keep_failed_logs.py also copies them to test-failures/ before the next run
# overwrites them.
started=$(date +%s)
bazel test --config=asan --keep_going --test_output=errors $asan_targets "$@"
asan_rc=$?
python3 tools/keep_failed_logs.py --since="$started" \
  bazel-out/k8-fastbuildasan/testlogs $asan_targets

bazel test --keep_going --test_output=errors //... "$@"
bazel_rc=$?
python3 tools/keep_failed_logs.py --since="$started" bazel-testlogs \
  $(bazel query 'tests(//...)' 2>/dev/null)

# Folders depend one way: no cycle between packages.
python3 tools/check_layers.py
layers_rc=$?
# The lock annotations, checked by clang (GCC ignores them).
python3 tools/check_thread_safety.py
threads_rc=$?
# Formatting.
tools/format.sh --check
format_rc=$?
# The fuzzers, 10 s each (tools/fuzz/run.sh --seconds=600 for a real hunt).
tools/fuzz/run.sh --seconds=10
fuzz_rc=$?
# The README's first command: portraitd and the demo client end to end.
mkdir -p var
tools/quickstart.sh >var/quickstart.log 2>&1 || { tail -40 var/quickstart.log; false; }
quickstart_rc=$?

python3 - "$bazel_rc" "$asan_rc" "$layers_rc" "$threads_rc" "$format_rc" "$fuzz_rc" "$quickstart_rc" $asan_targets <<'PY'
import os, subprocess, sys
import xml.etree.ElementTree as ET

bazel_rc = int(sys.argv[1]) or int(sys.argv[2])
checks = [
    (int(sys.argv[3]), "tools/check_layers.py (a dependency cycle between folders)"),
    (int(sys.argv[4]), "tools/check_thread_safety.py (clang -Wthread-safety)"),
    (int(sys.argv[5]), "tools/format.sh --check (run tools/format.sh)"),
    (int(sys.argv[6]), "tools/fuzz/run.sh (a fuzzer crashed; see var/fuzz/)"),
    (int(sys.argv[7]), "tools/quickstart.sh (see var/quickstart.log)"),
]
targets = subprocess.run(["bazel", "query", "tests(//...)"], capture_output=True,
                         text=True).stdout.split()
runs = [(t, "bazel-testlogs") for t in targets]
runs += [(t, "bazel-out/k8-fastbuildasan/testlogs") for t in sys.argv[8:]]
passed = failed = skipped = 0
for rc, name in checks:
    if rc == 0:
        passed += 1
    else:
        failed += 1
        print(f"FAILED {name}")
for target, logs in runs:
    path = target.lstrip("/").replace(":", "/")
    xml = os.path.join(logs, path, "test.xml")
    if not os.path.exists(xml):
        print(f"no results for {target} in {logs} (did it build?)")
        failed += 1
        continue
    for case in ET.parse(xml).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
            print(f"FAILED {target} ({logs}) {case.get('classname')}.{case.get('name')}")
        elif case.get("status") == "notrun" or case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
if bazel_rc != 0 and failed == 0:
    print(f"bazel test exited {bazel_rc} with no failed test case recorded")
    failed = 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
