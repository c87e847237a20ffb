// Summaries of the raw events stored for a user (ProfileService).
#ifndef PORTRAIT_SERVICES_PROFILE_EVENT_SUMMARY_H_
#define PORTRAIT_SERVICES_PROFILE_EVENT_SUMMARY_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "portrait/v1/profile.pb.h"
#include "services/storage/store.h"

namespace portrait {

// Counts `user_id`'s stored events per signal with one scan of the user's
// key range. Errors: INVALID_ARGUMENT for a malformed user_id; storage
// errors; DATA_LOSS for a corrupt key.
absl::StatusOr<v1::GetEventSummaryResponse> SummarizeEvents(
    Store* store, absl::string_view user_id);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_PROFILE_EVENT_SUMMARY_H_
