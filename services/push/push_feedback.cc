#include "services/push/push_feedback.h"

#include "absl/strings/str_cat.h"

namespace portrait {

absl::StatusOr<v1::RecordEventsResponse> RecordPushFeedback(
    EventIngestor& ingestor, const v1::RecordPushFeedbackRequest& request) {
  for (int i = 0; i < request.events_size(); ++i) {
    if (const v1::Signal signal = request.events(i).signal();
        signal != v1::PUSH_FEEDBACK) {
      return absl::InvalidArgumentError(absl::StrCat(
          "events[", i, "].signal: is ",
          v1::Signal_IsValid(signal) ? v1::Signal_Name(signal)
                                     : absl::StrCat(signal),
          "; RecordPushFeedback takes PUSH_FEEDBACK events only (others go "
          "to IngestService.RecordEvents)"));
    }
  }
  return ingestor.Record(request.events());
}

}  // namespace portrait
