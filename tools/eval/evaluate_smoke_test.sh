#!/usr/bin/env bash
# Generates small datasets in both formats and evaluates them through the
# service with the shipped configuration, one seed, fitting the blend. Passes
# if every run finishes and, on the test part, the shipped configuration, the
# model alone and the fitted blend each beat popularity (the sample data has
# community structure to find).
set -euo pipefail
sample_data=$1
evaluate=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$sample_data" --dir="$dir" --users=300 --items=400
# The mean test NDCG@10 of one row of the summary table.
ndcg() { grep "^| $1 |" <<<"$2" | awk -F'|' '{ split($4, a, " "); print a[1] }'; }
for format in movielens lastfm; do
  if [ "$format" = movielens ]; then
    out=$("$evaluate" --format=movielens --data="$dir/u.data" --seeds=1 --fit_blend)
  else
    out=$("$evaluate" --format=lastfm --data="$dir/user_artists.dat" \
          --friends="$dir/user_friends.dat" --seeds=1 --fit_blend)
  fi
  echo "$out"
  popular=$(ndcg "POPULAR alone" "$out")
  for row in shipped "EMBEDDING alone" "fitted on validation"; do
    value=$(ndcg "$row" "$out")
    echo "$format: $row NDCG@10 $value, popularity $popular"
    awk -v a="$value" -v b="$popular" 'BEGIN { exit !(a > b) }'
  done
done
