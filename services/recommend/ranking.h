// One ranked list of items for one user: the surface's candidate sources,
// blended, filtered by what the user refuses and, when personalised, by
// what they already know, with diversity caps. Recommend pages and push
// candidates are both built by RankItems, so the same rules apply to both.
#ifndef PORTRAIT_SERVICES_RECOMMEND_RANKING_H_
#define PORTRAIT_SERVICES_RECOMMEND_RANKING_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "portrait/v1/recommend.pb.h"
#include "services/recommend/candidate_sources.h"

namespace portrait {

// A set of candidate sources (v1::ReasonSource).
class SourceSet {
 public:
  static SourceSet All() { return SourceSet(~uint32_t{0}); }
  static SourceSet Only(std::initializer_list<v1::ReasonSource> sources) {
    uint32_t bits = 0;
    for (v1::ReasonSource s : sources) bits |= Bit(s);
    return SourceSet(bits);
  }
  SourceSet Without(v1::ReasonSource source) const {
    return SourceSet(bits_ & ~Bit(source));
  }
  bool Contains(v1::ReasonSource source) const {
    return (bits_ & Bit(source)) != 0;
  }

 private:
  explicit SourceSet(uint32_t bits) : bits_(bits) {}
  static uint32_t Bit(v1::ReasonSource s) { return uint32_t{1} << s; }
  uint32_t bits_;
};

// Whether RankItems reads the circles of the user's friends on `surface`
// with `sources` (FRIENDS_ENGAGED, or friends of friends).
bool ReadsCircles(const RankingConfig& config, v1::Surface surface,
                  SourceSet sources);

// Appends to `out`, best first, at most `limit` items for ctx.user on
// `surface`: from the surface's sources that are in `sources` and that the
// blend weighs above 0 (personal ones only when `personalized`); without
// what the user refuses (relationship commands, blocks), what hides itself
// from them (HIDE_MY_POSTS_FROM, a person's exposure setting or blacklist),
// what they already know (when personalised), and labels in `skip`; at most
// max_per_group per author or brand. Returns the labels appended; sets
// *gathered (if not null) to the number of candidates considered.
// Runs inside PortraitIndex::Read.
std::vector<std::string> RankItems(
    const SourceContext& ctx, v1::Surface surface, bool personalized,
    SourceSet sources, int limit, const absl::flat_hash_set<std::string>& skip,
    google::protobuf::RepeatedPtrField<v1::RecommendedItem>* out,
    size_t* gathered);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_RECOMMEND_RANKING_H_
