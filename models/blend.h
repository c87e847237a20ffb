// Blending candidate scores from several sources into one ranking, and
// picking a page with a diversity cap. Deterministic: ties break by key.
#ifndef PORTRAIT_MODELS_BLEND_H_
#define PORTRAIT_MODELS_BLEND_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace portrait {

// Sources are numbered as portrait.v1.ReasonSource (0 unused).
inline constexpr int kNumSources = 13;

struct Candidate {
  // Stable identity, e.g. "post:p1"; the final tie-break.
  std::string key;
  // Diversity groups (e.g. "user:author", "brand:b1"); empty = none.
  std::string author_group;
  std::string brand_group;
  // Raw score from each source (0 = not from that source).
  std::array<double, kNumSources> raw{};
  // Per source, a bit per signal number the source used.
  std::array<uint32_t, kNumSources> signals{};
  // Set by BlendScores.
  double score = 0;
};

// score = sum over sources of weights[s] * raw[s] / (max of raw[s] over all
// candidates). Each source contributes at most its weight.
void BlendScores(const std::array<double, kNumSources>& weights,
                 const std::vector<Candidate*>& candidates);

// Returns up to `limit` of `candidates` in rank order — score descending,
// then key ascending — that are not in `exclude` and that `admit` accepts
// (called lazily, in rank order, at most once per candidate; it may fill the
// diversity groups). At most `cap_per_group` per non-empty author or brand
// group come first; if that leaves the page short, the candidates the cap
// held back follow, in rank order. Diversity demotes, never drops. Ranks
// only as far as the page needs (a heap, not a full sort); reorders
// `candidates`.
std::vector<Candidate*> PickPage(
    std::vector<Candidate*>* candidates,
    const absl::flat_hash_set<std::string>& exclude, int limit,
    int cap_per_group, const std::function<bool(Candidate*)>& admit);

}  // namespace portrait

#endif  // PORTRAIT_MODELS_BLEND_H_
