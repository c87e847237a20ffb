#!/usr/bin/env bash
# Runs every test (unit, integration, property, fault, and the short versions
# of the benchmarks) and ends with one line "N passed, N failed", counted from
# the test cases in Bazel's test.xml results. Exits non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh || exit 1

bazel test --keep_going //... "$@"
bazel_rc=$?

python3 - "$bazel_rc" <<'PY'
import os, subprocess, sys
import xml.etree.ElementTree as ET

bazel_rc = int(sys.argv[1])
targets = subprocess.run(["bazel", "query", "tests(//...)"], capture_output=True,
                         text=True).stdout.split()
passed = failed = skipped = 0
for target in targets:
    path = target.lstrip("/").replace(":", "/")
    xml = os.path.join("bazel-testlogs", path, "test.xml")
    if not os.path.exists(xml):
        print(f"no results for {target} (did it build?)")
        failed += 1
        continue
    for case in ET.parse(xml).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
            print(f"FAILED {target} {case.get('classname')}.{case.get('name')}")
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
