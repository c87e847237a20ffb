#!/bin/bash
# Runs a Python test with Debian's python3 (python3-grpcio, python3-protobuf)
# and the generated Python modules on its path.
#   python_test.sh GENERATED_RECOMMEND_PB2 LIBRARY TEST [ARGS...]
# LIBRARY's directory is on the path too; the test gets ARGS.
set -euo pipefail
generated=$(dirname "$(dirname "$(dirname "$1")")")  # .../proto
library_dir=$(dirname "$2")
test=$3
shift 3
PYTHONPATH="$generated:$library_dir" exec /usr/bin/python3 "$test" "$@"
