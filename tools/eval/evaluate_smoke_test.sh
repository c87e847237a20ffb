#!/usr/bin/env bash
# Generates small datasets in both formats and evaluates them through the
# service. Passes if both runs finish and the chosen blend beats popularity
# on the test part (the sample data has community structure to find).
set -euo pipefail
sample_data=$1
evaluate=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$sample_data" --dir="$dir" --users=300 --items=400
for format in movielens lastfm; do
  if [ "$format" = movielens ]; then
    out=$("$evaluate" --format=movielens --data="$dir/u.data" --factors=16 --grid=false)
  else
    out=$("$evaluate" --format=lastfm --data="$dir/user_artists.dat" \
          --friends="$dir/user_friends.dat" --factors=16 --grid=false)
  fi
  echo "$out"
  chosen=$(grep '^test .*chosen on valid' <<<"$out" | sed 's/.*NDCG@10 \([0-9.]*\).*/\1/')
  popular=$(grep '^test  popularity' <<<"$out" | sed 's/.*NDCG@10 \([0-9.]*\).*/\1/')
  echo "$format: chosen NDCG@10 $chosen, popularity $popular"
  awk -v a="$chosen" -v b="$popular" 'BEGIN { exit !(a > b) }'
done
