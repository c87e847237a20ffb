// PushPlanner: answers PushService's candidate calls. For each user, in
// this order: an account that was deleted is held; the purpose must be
// allowed by the user's consents (PUSH_NEARBY: LOCATION in effect and
// LOCATION_PUSH and PERSONALIZED_PUSH on; with PERSONALIZED_PUSH off, or a
// minor without guardian consent, the others get non-personal candidates or
// none, as the push configuration says); quiet hours in the user's time
// zone hold everyone; so does the frequency cap. Otherwise the candidates
// are ranked as Recommend ranks the purpose's surface (RankItems: the same
// filters), without any item pushed to the user before.
//
// Every user is planned from the index and history as they are when the
// planner reaches them, so a stream obeys a consent change made while it
// runs at most Options.stream_chunk users later. Thread-safe.
#ifndef PORTRAIT_SERVICES_PUSH_PUSH_PLANNER_H_
#define PORTRAIT_SERVICES_PUSH_PUSH_PLANNER_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/cancellation.h"
#include "base/clock.h"
#include "portrait/v1/push.pb.h"
#include "services/model/model_trainer.h"
#include "services/portrait/portrait_index.h"
#include "services/push/push_history.h"
#include "services/recommend/candidate_sources.h"

namespace portrait {

inline constexpr int kMaxPushUsersPerRequest = 1000;
inline constexpr int kMaxPushCandidatesPerUser = 20;

class PushPlanner {
 public:
  struct Options {
    // Threads that plan a stream's users.
    int threads = 2;
    // A stream plans at most this many users ahead, the one it sends
    // included: a change reaches a running stream at most this many users
    // later.
    int stream_chunk = 64;
  };

  // All must outlive the planner; `trainer` may be null (no model);
  // `circles` is null but on a shard of a cluster (Recommender).
  PushPlanner(const PortraitIndex* index, const ModelTrainer* trainer,
              const PushHistory* history, const Clock* clock, Options options,
              const CircleFetcher* circles = nullptr);

  // Errors: INVALID_ARGUMENT naming the field and the limit; storage
  // errors; `cancel`'s.
  absl::StatusOr<v1::GetPushCandidatesResponse> GetCandidates(
      const v1::GetPushCandidatesRequest& request,
      const Cancellation& cancel) const;

  // Calls `emit` for each user of the segment after the request's cursor,
  // in user-id order (users with no candidates only if include_empty), each
  // message carrying the cursor that resumes after it. Stops, OK, when
  // `emit` returns false. Errors: INVALID_ARGUMENT (the cursor of another
  // stream, or a malformed request); storage errors; `cancel`'s, checked
  // before each chunk of users.
  absl::Status Stream(
      const v1::StreamPushCandidatesRequest& request,
      const Cancellation& cancel,
      const std::function<bool(const v1::UserPushCandidates&)>& emit) const;

 private:
  // The user's candidates; nullopt if `segment` is given and the user is
  // not in it.
  absl::StatusOr<std::optional<v1::UserPushCandidates>> ForUser(
      const std::string& user_id, v1::PushPurpose purpose, int limit,
      const v1::PushSegment* segment) const;

  const PortraitIndex* const index_;
  const ModelTrainer* const trainer_;
  const PushHistory* const history_;
  const Clock* const clock_;
  const Options options_;
  const CircleFetcher* const circles_;
  absl::TimeZone default_zone_;  // push.default_time_zone
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_PUSH_PUSH_PLANNER_H_
