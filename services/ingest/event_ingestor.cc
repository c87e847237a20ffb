#include "services/ingest/event_ingestor.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "services/ingest/validation.h"
#include "services/storage/keys.h"

namespace portrait {
namespace {

using v1::Event;
using v1::EventResult;

void SetRejected(const Rejection& rejection, EventResult* result) {
  result->set_outcome(v1::REJECTED);
  result->set_reason(rejection.reason);
  result->set_detail(rejection.detail);
}

void TallyOutcomes(v1::RecordEventsResponse* response) {
  for (const EventResult& result : response->results()) {
    switch (result.outcome()) {
      case v1::STORED:
        response->set_stored(response->stored() + 1);
        break;
      case v1::DUPLICATE:
        response->set_duplicates(response->duplicates() + 1);
        break;
      default:
        response->set_rejected(response->rejected() + 1);
        break;
    }
  }
}

}  // namespace

std::optional<Rejection> EventIngestor::CheckStateless(const Event& event,
                                                       int64_t now_ms) const {
  if (std::optional<Rejection> rejection = CheckEventShape(event)) {
    return rejection;
  }
  if (event.occurred_at_ms() < now_ms - options_.max_event_age_ms) {
    return Rejection{v1::TOO_OLD,
                     absl::StrCat("occurred_at_ms: older than the limit of ",
                                  options_.max_event_age_ms, " ms")};
  }
  return std::nullopt;
}

EventIngestor::EventIngestor(Store* store, const Clock* clock,
                             UserLocks* locks, Options options)
    : store_(store), clock_(clock), locks_(locks), options_(options) {}

absl::StatusOr<v1::RecordEventsResponse> EventIngestor::Record(
    const google::protobuf::RepeatedPtrField<Event>& events) {
  const int64_t now_ms = clock_->NowMillis();
  PORTRAIT_RETURN_IF_ERROR(ValidateEvents(events, now_ms));

  v1::RecordEventsResponse response;
  std::vector<absl::string_view> users;
  for (const Event& event : events) {
    EventResult* result = response.add_results();
    result->set_event_id(event.event_id());
    if (std::optional<Rejection> rejection = CheckStateless(event, now_ms)) {
      SetRejected(*rejection, result);
    } else {
      users.push_back(event.user_id());
    }
  }

  // The idempotency check and the write happen under the users' locks, so a
  // concurrent batch with the same event ids cannot slip in between. The lock
  // is held across the synced write on purpose: that is the invariant.
  UserLocks::Guard guard = locks_->Lock(users);
  WriteBatch batch;
  absl::flat_hash_set<std::string> ids_in_batch;
  for (int i = 0; i < events.size(); ++i) {
    const Event& event = events[i];
    EventResult* result = response.mutable_results(i);
    if (result->outcome() == v1::REJECTED) continue;
    std::string id_key = EventIdKey(event.user_id(), event.event_id());
    absl::StatusOr<std::string> existing = store_->Get(Column::kEventIds, id_key);
    if (!existing.ok() && !absl::IsNotFound(existing.status())) {
      return existing.status();
    }
    if (existing.ok() || !ids_in_batch.insert(id_key).second) {
      result->set_outcome(v1::DUPLICATE);
      continue;
    }
    std::string event_key =
        EventKey(event.user_id(), static_cast<uint8_t>(event.signal()),
                 event.occurred_at_ms(), event.event_id());
    batch.Put(Column::kEvents, event_key, event.SerializeAsString());
    batch.Put(Column::kEventIds, id_key, event_key);
    result->set_outcome(v1::STORED);
  }
  if (!batch.empty()) {
    PORTRAIT_RETURN_IF_ERROR(store_->Write(batch, /*sync=*/true));
  }
  TallyOutcomes(&response);
  return response;
}

}  // namespace portrait
