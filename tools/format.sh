#!/usr/bin/env bash
# Formats the project's C++ with clang-format as .clang-format says.
#   tools/format.sh           rewrites the files in place
#   tools/format.sh --check   changes nothing; lists the files that differ and
#                             exits 1 if any does
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cc' '*.h' | grep -v '^third_party/')
if [[ "${1:-}" == "--check" ]]; then
  differ=0
  for f in "${files[@]}"; do
    if ! clang-format --style=file --dry-run -Werror "$f" >/dev/null 2>&1; then
      echo "not formatted: $f"
      differ=$((differ + 1))
    fi
  done
  echo "format: ${#files[@]} files checked, $differ not formatted"
  [[ $differ -eq 0 ]]
else
  clang-format --style=file -i "${files[@]}"
fi
