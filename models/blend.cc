#include "models/blend.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"

namespace portrait {

void BlendScores(const std::array<double, kNumSources>& weights,
                 const std::vector<Candidate*>& candidates) {
  std::array<double, kNumSources> max{};
  for (const Candidate* c : candidates) {
    for (int s = 0; s < kNumSources; ++s) max[s] = std::max(max[s], c->raw[s]);
  }
  for (Candidate* c : candidates) {
    double score = 0;
    for (int s = 0; s < kNumSources; ++s) {
      if (c->raw[s] > 0 && max[s] > 0)
        score += weights[s] * (c->raw[s] / max[s]);
    }
    c->score = score;
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
