#!/bin/bash
# Runs tests/python_client_test.py with Debian's python3 (python3-grpcio,
# python3-protobuf) and the generated Python modules on its path.
#   python_client_test.sh PORTRAITD GENERATED_RECOMMEND_PB2 CLIENT TEST
set -euo pipefail
portraitd=$1
generated=$(dirname "$(dirname "$(dirname "$2")")")  # .../proto
client_dir=$(dirname "$3")
PYTHONPATH="$generated:$client_dir" exec /usr/bin/python3 "$4" "$portraitd"
