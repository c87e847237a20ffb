// The push scheduler's report of what users did with their pushes, recorded
// as PUSH_FEEDBACK events through the event write path, so that the consent
// gate, idempotency and durability are exactly those of any event.
#ifndef PORTRAIT_SERVICES_PUSH_PUSH_FEEDBACK_H_
#define PORTRAIT_SERVICES_PUSH_PUSH_FEEDBACK_H_

#include "absl/status/statusor.h"
#include "portrait/v1/ingest.pb.h"
#include "portrait/v1/push.pb.h"
#include "services/ingest/event_ingestor.h"

namespace portrait {

// Records `request.events`, all of which must be PUSH_FEEDBACK events.
// Errors: INVALID_ARGUMENT naming the first event of another signal; then
// those of EventIngestor::Record. Nothing is stored on error.
absl::StatusOr<v1::RecordEventsResponse> RecordPushFeedback(
    EventIngestor& ingestor, const v1::RecordPushFeedbackRequest& request);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_PUSH_PUSH_FEEDBACK_H_
