// PushHistory: what the push scheduler reported sending (RecordPushes), in
// the push column: per user, each pushed item once, and the pushes by time
// for the frequency cap.
//
// Thread-safe (the store is; a user's pushes are idempotent puts).
#ifndef PORTRAIT_SERVICES_PUSH_PUSH_HISTORY_H_
#define PORTRAIT_SERVICES_PUSH_PUSH_HISTORY_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/clock.h"
#include "portrait/v1/push.pb.h"
#include "services/storage/store.h"

namespace portrait {

// One user's pushes, as the planner needs them.
struct UserPushes {
  // Labels ("post:ID", "user:ID") of every item ever pushed.
  absl::flat_hash_set<std::string> items;
  // Pushes sent in the window asked for, and the earliest of them.
  int sent_in_window = 0;
  int64_t earliest_in_window_ms = 0;
};

inline constexpr int kMaxPushesPerRequest = 1000;

// OK for PUSH_CONTENT, PUSH_PEOPLE, PUSH_NEARBY; otherwise INVALID_ARGUMENT
// naming `field`.
absl::Status ValidatePushPurpose(v1::PushPurpose purpose,
                                 absl::string_view field);

class PushHistory {
 public:
  // Both must outlive the history.
  PushHistory(Store* store, const Clock* clock);

  // Stores the pushes in one synced write; an item already recorded for the
  // user counts as a duplicate and keeps its first record. Errors:
  // INVALID_ARGUMENT naming the field and the limit (nothing is stored);
  // storage errors.
  absl::StatusOr<v1::RecordPushesResponse> Record(
      const v1::RecordPushesRequest& request);

  // The user's pushed items, and their pushes sent at `window_begin_ms` or
  // later. DATA_LOSS for a stored record that does not parse.
  absl::StatusOr<UserPushes> Read(absl::string_view user_id,
                                  int64_t window_begin_ms) const;

 private:
  Store* const store_;
  const Clock* const clock_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_PUSH_PUSH_HISTORY_H_
