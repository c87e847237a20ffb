// Recommender: answers RecommendService.Recommend from the PortraitIndex:
// gathers candidates from the sources the user's consents allow, filters
// them (blacklists, blocks, hidden-from-me, already engaged, a person's own
// exposure setting), blends and ranks them, and serves stable pages. With
// PERSONALIZED_FEED off, or for a minor without guardian consent, only
// non-personal sources are used and no reason names a personal signal.
//
// Thread-safe; reads the index under its reader lock.
#ifndef PORTRAIT_SERVICES_RECOMMEND_RECOMMENDER_H_
#define PORTRAIT_SERVICES_RECOMMEND_RECOMMENDER_H_

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "portrait/v1/recommend.pb.h"
#include "services/model/model_trainer.h"
#include "services/portrait/portrait_index.h"
#include "services/recommend/candidate_sources.h"

namespace portrait {

class Recommender {
 public:
  // All must outlive the recommender. `trainer` may be null (no model);
  // `circles` is null but on a shard of a cluster, where it reads the
  // circles of friends the other shards hold.
  Recommender(const PortraitIndex* index, const ModelTrainer* trainer,
              const Clock* clock, const CircleFetcher* circles = nullptr);

  // Errors: INVALID_ARGUMENT naming the field (user_id, surface, limit,
  // context, page_token); FAILED_PRECONDITION for a deleted account.
  absl::StatusOr<v1::RecommendResponse> Recommend(
      const v1::RecommendRequest& request) const;

 private:
  const PortraitIndex* const index_;
  const ModelTrainer* const trainer_;
  const Clock* const clock_;
  const CircleFetcher* const circles_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_RECOMMEND_RECOMMENDER_H_
