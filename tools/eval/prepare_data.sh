#!/usr/bin/env bash
# Puts the public evaluation datasets where docs/QUALITY.md says they live
# (data/lastfm/, data/ml-100k/ under the repository, gitignored: their
# licences forbid redistribution, so they are never committed) and checks
# them against the counts and SHA-256 sums recorded there.
#
#   tools/eval/prepare_data.sh --lastfm=SOURCE --movielens=SOURCE
#
# SOURCE is a directory holding the files (user_artists.dat and
# user_friends.dat; u.data), or a git directory of a repository that holds
# them, read with `git show` (docs/QUALITY.md names the repositories used).
# Either option may be left out. Exits non-zero if a file is missing or does
# not match.
set -euo pipefail
cd "$(dirname "$0")/../.."

lastfm="" movielens=""
for arg in "$@"; do
  case "$arg" in
    --lastfm=*) lastfm=${arg#*=} ;;
    --movielens=*) movielens=${arg#*=} ;;
    *) echo "usage: $0 [--lastfm=SOURCE] [--movielens=SOURCE]" >&2; exit 2 ;;
  esac
done

# Copies file $2 (a path inside SOURCE $1) to $3.
take() {
  local source=$1 path=$2 out=$3
  if [ -f "$source/$(basename "$path")" ]; then
    cp "$source/$(basename "$path")" "$out"
  elif git --git-dir="$source" rev-parse --verify -q HEAD >/dev/null 2>&1; then
    git --git-dir="$source" show "HEAD:$path" >"$out"
  else
    echo "prepare_data: $source has neither $(basename "$path") nor a git HEAD with $path" >&2
    exit 1
  fi
}

# Checks $1's SHA-256 against $2 and its line count (less $4 header lines)
# against $3.
check() {
  local file=$1 sum=$2 lines=$3 header=$4
  local got_sum got_lines
  got_sum=$(sha256sum "$file" | cut -d' ' -f1)
  got_lines=$(($(grep -c . "$file") - header))
  if [ "$got_sum" != "$sum" ] || [ "$got_lines" != "$lines" ]; then
    echo "prepare_data: $file: $got_lines rows, sha256 $got_sum;" \
         "expected $lines rows, sha256 $sum" >&2
    exit 1
  fi
  echo "$file: $lines rows, sha256 OK"
}

if [ -n "$lastfm" ]; then
  mkdir -p data/lastfm
  take "$lastfm" dataset/user_artists.dat data/lastfm/user_artists.dat
  take "$lastfm" dataset/user_friends.dat data/lastfm/user_friends.dat
  check data/lastfm/user_artists.dat \
    650cd69d5a68db24b439042557aa539aec47e473273e12cdfdca2cd944b3773a 92834 1
  check data/lastfm/user_friends.dat \
    4b3697ee95470ab202b44b95be4bfaffdbd5470f48fd16c62353f5a1870ae223 25434 1
fi

if [ -n "$movielens" ]; then
  mkdir -p data/ml-100k
  take "$movielens" ml-100k/u.data data/ml-100k/u.data.orig
  # Some copies carry stray rows of a user 0 (MovieLens users are 1-943).
  awk -F'\t' '$1 != 0' data/ml-100k/u.data.orig >data/ml-100k/u.data
  rm data/ml-100k/u.data.orig
  check data/ml-100k/u.data \
    06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490 100000 0
fi
