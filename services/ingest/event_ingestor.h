// EventIngestor: the write path of behaviour events. Validates a batch,
// decides each event's outcome (stored, duplicate, rejected: by shape, by
// consent, by age) and stores the accepted ones in one synced write batch.
//
// The consent gate: an event is stored only if its signal is effectively
// GRANTED for the user and it occurred at or after the current grant began.
// The check and the write happen under the user's UserLocks stripe, the same
// lock ConsentLedger takes, so no revocation can fall between them.
//
// Thread-safe.
#ifndef PORTRAIT_SERVICES_INGEST_EVENT_INGESTOR_H_
#define PORTRAIT_SERVICES_INGEST_EVENT_INGESTOR_H_

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "portrait/v1/ingest.pb.h"
#include "services/consent/policy.h"
#include "services/ingest/contacts.h"
#include "services/locking/user_locks.h"
#include "services/storage/store.h"

namespace portrait {

class EventIngestor {
 public:
  // Called with the stored events after each successful write, while their
  // users' locks are held (so derived state follows the store's order). An
  // error is returned to the caller; the events stay stored.
  using StoredHook =
      std::function<absl::Status(const std::vector<const v1::Event*>&)>;

  // All pointers must outlive the ingestor. `on_stored` may be empty.
  // `contacts` hashes the contacts of CONTACTS events; nullptr: the server
  // has no contact key and refuses them.
  EventIngestor(Store* store, const Clock* clock, UserLocks* locks,
                const ConsentPolicy* policy,
                const ContactHasher* contacts = nullptr,
                StoredHook on_stored = nullptr);

  // Records `events` (a RecordEventsRequest.events or one stream message).
  // CONTACTS events are stored, and passed to `on_stored`, with their
  // contacts replaced by keyed hashes.
  // Errors: INVALID_ARGUMENT for a malformed batch (see validation.h);
  // FAILED_PRECONDITION for contacts without a contact key; storage errors
  // as Store::Write returns them. On any error nothing of the batch is
  // stored. On OK every STORED event is durable.
  absl::StatusOr<v1::RecordEventsResponse> Record(
      const google::protobuf::RepeatedPtrField<v1::Event>& events);

 private:
  // Record() after validation and hashing.
  absl::StatusOr<v1::RecordEventsResponse> RecordValid(
      const google::protobuf::RepeatedPtrField<v1::Event>& events);
  // The consent gate, in request order, for events not yet rejected: marks
  // refused ones in *response and returns the indices of the others.
  // REQUIRES: the users' locks.
  absl::StatusOr<std::vector<int>> GateByConsent(
      const google::protobuf::RepeatedPtrField<v1::Event>& events,
      const std::vector<absl::string_view>& users,
      v1::RecordEventsResponse* response);
  // Adds the events at `passed` that are not duplicates to *batch, marking
  // each outcome; returns those added. REQUIRES: the users' locks.
  absl::StatusOr<std::vector<const v1::Event*>> StoreNew(
      const google::protobuf::RepeatedPtrField<v1::Event>& events,
      const std::vector<int>& passed, v1::RecordEventsResponse* response,
      WriteBatch* batch);

  // Constant after construction.
  Store* const store_;
  const Clock* const clock_;
  UserLocks* const locks_;
  const ConsentPolicy* const policy_;
  const ContactHasher* const contacts_;
  const StoredHook on_stored_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_INGEST_EVENT_INGESTOR_H_
