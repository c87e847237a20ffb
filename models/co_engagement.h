// CoEngagement: for every pair of items, how many users hold both in their
// co-engagement set, and for every item how many users hold it. Integer
// counts, updated by whole-user set differences: removing a user's set
// subtracts exactly what adding it added, so the counts after any sequence
// of adds and removes equal the counts of the sets that remain. Items are
// dense ids chosen by the caller.
//
// Not thread-safe; the caller serialises access.
#ifndef PORTRAIT_MODELS_CO_ENGAGEMENT_H_
#define PORTRAIT_MODELS_CO_ENGAGEMENT_H_

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace portrait {

class CoEngagement {
 public:
  using Neighbours = absl::flat_hash_map<int32_t, int32_t>;

  // Replaces one user's set `before` by `after` (each without duplicates).
  // Pairs within `before` lose one; pairs within `after` gain one.
  void Replace(const std::vector<int32_t>& before,
               const std::vector<int32_t>& after);

  // Users holding `item`.
  int32_t Count(int32_t item) const;
  // Users holding both.
  int32_t Count(int32_t a, int32_t b) const;
  // Every item sharing at least one user with `item`, with the count.
  const Neighbours& NeighboursOf(int32_t item) const;

  // Cosine of the two items' user sets: count(a,b) / sqrt(count(a) count(b)).
  double Similarity(int32_t a, int32_t b) const;

  // Number of items with a nonzero count.
  size_t items() const { return item_counts_.size(); }

  // Adds `delta` users to a pair's count (both orders) or an item's: for
  // counts summed from elsewhere (another shard's users). The caller keeps
  // every count the sum of users that hold it (never below zero).
  void AddPair(int32_t a, int32_t b, int32_t delta);
  void AddItem(int32_t item, int32_t delta);

 private:
  absl::flat_hash_map<int32_t, int32_t> item_counts_;
  absl::flat_hash_map<int32_t, Neighbours> pairs_;
};

}  // namespace portrait

#endif  // PORTRAIT_MODELS_CO_ENGAGEMENT_H_
