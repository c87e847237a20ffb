// Summaries of the raw events stored for a user (ProfileService).
#ifndef PORTRAIT_SERVICES_PROFILE_EVENT_SUMMARY_H_
#define PORTRAIT_SERVICES_PROFILE_EVENT_SUMMARY_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/cancellation.h"
#include "portrait/v1/profile.pb.h"
#include "services/storage/store.h"

namespace portrait {

// Counts `user_id`'s stored events per signal with one scan of the user's
// key range, which `cancel` may call off (checked every
// kEventsPerCancellationCheck keys). Errors: INVALID_ARGUMENT for a
// malformed user_id; storage errors; DATA_LOSS for a corrupt key; `cancel`'s.
absl::StatusOr<v1::GetEventSummaryResponse> SummarizeEvents(
    Store* store, absl::string_view user_id,
    const Cancellation& cancel = Cancellation::Never());

inline constexpr int kEventsPerCancellationCheck = 1024;

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_PROFILE_EVENT_SUMMARY_H_
