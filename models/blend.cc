#include "models/blend.h"

#include <algorithm>
#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "absl/numeric/bits.h"

namespace portrait {

static_assert(kNumSources <= 32, "BlendScores keeps a bit per source");

void BlendScores(const std::array<double, kNumSources>& weights,
                 const std::vector<Candidate*>& candidates) {
  std::array<double, kNumSources> max{};
  // A candidate comes from one or two of the sources, so the sum visits
  // only the sources it has (a bit each), in source order, instead of
  // branching on every source.
  std::vector<uint32_t> present(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    uint32_t bits = 0;
    for (int s = 0; s < kNumSources; ++s) {
      const double raw = candidates[i]->raw[s];
      max[s] = std::max(max[s], raw);
      bits |= static_cast<uint32_t>(raw > 0) << s;
    }
    present[i] = bits;
  }
  // raw > 0 implies max > 0.
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& c = *candidates[i];
    double score = 0;
    for (uint32_t bits = present[i]; bits != 0; bits &= bits - 1) {
      const int s = absl::countr_zero(bits);
      score += weights[s] * (c.raw[s] / max[s]);
    }
    candidates[i]->score = score;
  }
}

std::vector<Candidate*> PickPage(
    std::vector<Candidate*>* candidates,
    const absl::flat_hash_set<std::string>& exclude, int limit,
    int cap_per_group, const std::function<bool(Candidate*)>& admit) {
  // A max-heap by rank: popping yields the best remaining candidate.
  const auto ranks_after = [](const Candidate* a, const Candidate* b) {
    if (a->score != b->score) return a->score < b->score;
    return a->key > b->key;
  };
  const auto begin = candidates->begin();
  auto end = candidates->end();
  std::make_heap(begin, end, ranks_after);
  std::vector<Candidate*> page;
  std::vector<Candidate*> held_back;
  absl::flat_hash_map<std::string, int> taken;
  while (static_cast<int>(page.size()) < limit && end != begin) {
    std::pop_heap(begin, end, ranks_after);
    Candidate* c = *--end;
    if (exclude.contains(c->key) || !admit(c)) continue;
    bool over_cap = false;
    for (const std::string* group : {&c->author_group, &c->brand_group}) {
      if (!group->empty() && taken[*group] >= cap_per_group) over_cap = true;
    }
    if (over_cap) {
      held_back.push_back(c);
      continue;
    }
    for (const std::string* group : {&c->author_group, &c->brand_group}) {
      if (!group->empty()) ++taken[*group];
    }
    page.push_back(c);
  }
  for (Candidate* c : held_back) {
    if (static_cast<int>(page.size()) >= limit) break;
    page.push_back(c);
  }
  return page;
}

}  // namespace portrait
