#!/usr/bin/env python3
"""Copies the log of every failed run of the given test targets out of
Bazel's test log tree (which the next run overwrites) into
test-failures/<time>/, and prints where. Handles --runs_per_test
(run_K_of_N directories) and sharded tests alike.

  tools/keep_failed_logs.py [--since=EPOCH_SECONDS] LOG_ROOT TARGET...

With --since, logs written before that time are left out: Bazel leaves
the logs of earlier runs in place (another --runs_per_test's run_K_of_N
directories, a single run's log under later --runs_per_test runs), and
those are not this run's failures.
"""
import os
import shutil
import sys
import time
import xml.etree.ElementTree as ET


def failed(xml_path):
    try:
        root = ET.parse(xml_path).getroot()
    except ET.ParseError:
        return True  # A run that died before writing its results.
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            return True
    return int(root.get("failures", "0")) + int(root.get("errors", "0")) > 0


def main():
    args = sys.argv[1:]
    since = 0.0
    if args and args[0].startswith("--since="):
        since = float(args.pop(0)[len("--since="):])
    log_root, targets = args[0], args[1:]
    out = os.path.join("test-failures", time.strftime("%Y%m%d-%H%M%S"))
    kept = 0
    for target in targets:
        base = os.path.join(log_root, target.lstrip("/").replace(":", "/"))
        for directory, _, files in os.walk(base):
            if "test.xml" not in files or "test.log" not in files:
                continue
            if os.path.getmtime(os.path.join(directory, "test.xml")) < since:
                continue
            if not failed(os.path.join(directory, "test.xml")):
                continue
            rel = os.path.relpath(directory, log_root)
            dest = os.path.join(out, rel.replace(os.sep, "_") + ".log")
            os.makedirs(out, exist_ok=True)
            shutil.copyfile(os.path.join(directory, "test.log"), dest)
            print(f"kept the log of a failed run: {dest}")
            kept += 1
    return 0 if kept == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
