#!/usr/bin/env python3
"""Checks the lock annotations (ABSL_GUARDED_BY and friends) with clang.

GCC, which builds the project, ignores the annotations. This compiles every
C++ source of the project's own packages once more with Debian's clang,
syntax only, with -Wthread-safety -Werror=thread-safety, using the include
paths and defines of Bazel's own compile actions (so run it after a build:
the generated proto headers must exist). Exits 1 if any file has a
thread-safety error, and prints clang's messages.

    python3 tools/check_thread_safety.py [--jobs=N]
"""
import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys

# Our packages; external repositories and generated protos are not checked.
OWN = ("base/", "config/", "models/", "services/", "tests/", "tools/")
# GCC-only flags in Bazel's compile lines that clang rejects or warns about.
GCC_ONLY = {"-fno-canonical-system-headers", "-Wunused-but-set-parameter",
            "-Wno-free-nonheap-object"}


ANNOTATED = re.compile(r"absl::Mutex|ABSL_[A-Z_]*(GUARDED|LOCK|REQUIRES|ACQUIRE|RELEASE)")
INCLUDE = re.compile(r'^#include "([^"]+)"', re.M)


def needs_check(root, source, memo):
    """Whether `source`, or an own header it includes (transitively), uses a
    mutex or a lock annotation: only those can break the analysis."""
    if source in memo:
        return memo[source]
    memo[source] = False  # Include cycles end here.
    path = os.path.join(root, source)
    if not os.path.exists(path):
        return False
    text = open(path, encoding="utf-8").read()
    memo[source] = bool(ANNOTATED.search(text)) or any(
        needs_check(root, header, memo) for header in INCLUDE.findall(text)
        if header.startswith(OWN))
    return memo[source]


def compile_lines(root):
    out = subprocess.run(
        ["bazel", "aquery", 'mnemonic("CppCompile", //...)',
         "--output=jsonproto"],
        cwd=root, capture_output=True, text=True, check=True).stdout
    lines = {}
    memo = {}
    for action in json.loads(out).get("actions", []):
        args = action["arguments"]
        source = args[args.index("-c") + 1]
        if (not source.startswith(OWN) or source in lines or
                not needs_check(root, source, memo)):
            continue
        kept = []
        skip = False
        for arg in args[1:]:
            if skip:
                skip = False
                continue
            if arg in ("-MF", "-o"):
                skip = True
                continue
            if arg in GCC_ONLY or arg == "-MD" or arg.startswith("-frandom-seed"):
                continue
            if arg == "-c":
                continue
            kept.append(arg)
        lines[source] = kept
    return lines


def check(execroot, source, args):
    command = ["clang++", "-fsyntax-only", "-Wno-everything", "-Wthread-safety",
               "-Werror=thread-safety"] + args
    result = subprocess.run(command, cwd=execroot, capture_output=True,
                            text=True)
    return source, result.returncode, result.stderr


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    flags = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    execroot = subprocess.run(["bazel", "info", "execution_root"], cwd=root,
                              capture_output=True, text=True,
                              check=True).stdout.strip()
    lines = compile_lines(root)
    failed = []
    with concurrent.futures.ThreadPoolExecutor(flags.jobs) as pool:
        for source, rc, err in pool.map(lambda kv: check(execroot, *kv),
                                        sorted(lines.items())):
            if rc != 0:
                failed.append(source)
                sys.stdout.write(err)
    print(f"thread-safety: {len(lines)} files checked with clang, "
          f"{len(failed)} with errors")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
