// EventIngestor: the write path of behaviour events. Validates a batch,
// decides each event's outcome (stored, duplicate, rejected) and stores the
// accepted ones in one synced write batch.
//
// Thread-safe. Per-user check-then-write is serialised by UserLocks, so two
// concurrent batches carrying the same event_id store it once.
#ifndef PORTRAIT_SERVICES_INGEST_EVENT_INGESTOR_H_
#define PORTRAIT_SERVICES_INGEST_EVENT_INGESTOR_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "portrait/v1/ingest.pb.h"
#include "services/ingest/validation.h"
#include "services/locking/user_locks.h"
#include "services/storage/store.h"

namespace portrait {

class EventIngestor {
 public:
  struct Options {
    // Events older than this (by occurred_at_ms) are rejected TOO_OLD.
    int64_t max_event_age_ms = int64_t{400} * 24 * 3600 * 1000;
  };

  // `store`, `clock` and `locks` must outlive the ingestor.
  EventIngestor(Store* store, const Clock* clock, UserLocks* locks,
                Options options);

  // Records `events` (a RecordEventsRequest.events or one stream message).
  // Errors: INVALID_ARGUMENT for a malformed batch (see validation.h);
  // storage errors as Store::Write returns them. On any error nothing of the
  // batch is stored. On OK every STORED event is durable.
  absl::StatusOr<v1::RecordEventsResponse> Record(
      const google::protobuf::RepeatedPtrField<v1::Event>& events);

 private:
  // Event-level checks that need no stored state.
  std::optional<Rejection> CheckStateless(const v1::Event& event,
                                          int64_t now_ms) const;

  // Constant after construction.
  Store* const store_;
  const Clock* const clock_;
  UserLocks* const locks_;
  const Options options_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_INGEST_EVENT_INGESTOR_H_
