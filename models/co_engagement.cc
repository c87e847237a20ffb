#include "models/co_engagement.h"

#include <cmath>

#include "absl/container/flat_hash_set.h"

namespace portrait {
namespace {

const CoEngagement::Neighbours& EmptyNeighbours() {
  static const auto* const empty = new CoEngagement::Neighbours();
  return *empty;
}

}  // namespace

void CoEngagement::AddItem(int32_t item, int32_t delta) {
  int32_t& count = item_counts_[item];
  count += delta;
  if (count == 0) item_counts_.erase(item);
}

void CoEngagement::AddPair(int32_t a, int32_t b, int32_t delta) {
  for (auto [from, to] : {std::pair{a, b}, std::pair{b, a}}) {
    Neighbours& neighbours = pairs_[from];
    int32_t& count = neighbours[to];
    count += delta;
    if (count == 0) {
      neighbours.erase(to);
      if (neighbours.empty()) pairs_.erase(from);
    }
  }
}

void CoEngagement::Replace(const std::vector<int32_t>& before,
                           const std::vector<int32_t>& after) {
  const absl::flat_hash_set<int32_t> old_set(before.begin(), before.end());
  const absl::flat_hash_set<int32_t> new_set(after.begin(), after.end());
  std::vector<int32_t> removed, added, kept;
  for (int32_t item : before) {
    (new_set.contains(item) ? kept : removed).push_back(item);
  }
  for (int32_t item : after) {
    if (!old_set.contains(item)) added.push_back(item);
  }
  // Pairs touching a removed item existed only in `before`; pairs touching
  // an added item exist only in `after`; pairs within `kept` are unchanged.
  for (size_t i = 0; i < removed.size(); ++i) {
    AddItem(removed[i], -1);
    for (size_t j = i + 1; j < removed.size(); ++j)
      AddPair(removed[i], removed[j], -1);
    for (int32_t k : kept) AddPair(removed[i], k, -1);
  }
  for (size_t i = 0; i < added.size(); ++i) {
    AddItem(added[i], 1);
    for (size_t j = i + 1; j < added.size(); ++j)
      AddPair(added[i], added[j], 1);
    for (int32_t k : kept) AddPair(added[i], k, 1);
  }
}

int32_t CoEngagement::Count(int32_t item) const {
  auto it = item_counts_.find(item);
  return it == item_counts_.end() ? 0 : it->second;
}

int32_t CoEngagement::Count(int32_t a, int32_t b) const {
  const Neighbours& neighbours = NeighboursOf(a);
  auto it = neighbours.find(b);
  return it == neighbours.end() ? 0 : it->second;
}

const CoEngagement::Neighbours& CoEngagement::NeighboursOf(int32_t item) const {
  auto it = pairs_.find(item);
  return it == pairs_.end() ? EmptyNeighbours() : it->second;
}

double CoEngagement::Similarity(int32_t a, int32_t b) const {
  const int32_t both = Count(a, b);
  if (both == 0) return 0;
  return both / std::sqrt(static_cast<double>(Count(a)) * Count(b));
}

}  // namespace portrait
