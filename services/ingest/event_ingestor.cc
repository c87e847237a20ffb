#include "services/ingest/event_ingestor.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "portrait/storage/records.pb.h"
#include "services/consent/consent_store.h"
#include "services/consent/consent_view.h"
#include "services/ingest/validation.h"
#include "services/storage/keys.h"
#include "services/storage/records.h"

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

// One user's consent as read for this batch.
struct UserConsent {
  storage::ConsentRecord record;
  std::optional<bool> minor_by_stated_age;  // Read only when needed.
};

}  // namespace

EventIngestor::EventIngestor(Store* store, const Clock* clock, UserLocks* locks,
                             const ConsentPolicy* policy,
                             const ContactHasher* contacts,
                             StoredHook on_stored)
    : store_(store),
      clock_(clock),
      locks_(locks),
      policy_(policy),
      contacts_(contacts),
      on_stored_(std::move(on_stored)) {}

absl::StatusOr<std::vector<int>> EventIngestor::GateByConsent(
    const google::protobuf::RepeatedPtrField<Event>& events,
    const std::vector<absl::string_view>& users,
    v1::RecordEventsResponse* response) {
  const int64_t now_ms = clock_->NowMillis();
  const absl::flat_hash_set<std::string> unique(users.begin(), users.end());
  absl::flat_hash_map<std::string, UserConsent> consents;
  PORTRAIT_ASSIGN_OR_RETURN(
      auto records,
      ReadConsentRecords(
          store_, std::vector<std::string>(unique.begin(), unique.end())));
  for (auto& [user, record] : records)
    consents[user].record = std::move(record);
  std::vector<int> passed;
  for (int i = 0; i < events.size(); ++i) {
    const Event& event = events[i];
    EventResult* result = response->mutable_results(i);
    if (result->outcome() == v1::REJECTED) continue;
    UserConsent& consent = consents[event.user_id()];
    if (policy_->signal(event.signal()).sensitive() &&
        !consent.minor_by_stated_age.has_value()) {
      PORTRAIT_ASSIGN_OR_RETURN(
          consent.minor_by_stated_age,
          ReadMinorByStatedAge(store_, *policy_, consent.record,
                               event.user_id(), now_ms));
    }
    ConsentView view(*policy_, consent.record,
                     consent.minor_by_stated_age.value_or(false));
    if (std::optional<Rejection> rejection = view.GateEvent(event, now_ms)) {
      SetRejected(*rejection, result);
      continue;
    }
    passed.push_back(i);
    // A birth year stated in this batch protects the rest of it at once.
    if (event.signal() == v1::PROFILE_ATTRIBUTES &&
        IsMinorByBirthYear(event.profile_attributes().birth_year(),
                           policy_->minor_age(), now_ms)) {
      consent.minor_by_stated_age = true;
    }
  }
  return passed;
}

absl::StatusOr<std::vector<const Event*>> EventIngestor::StoreNew(
    const google::protobuf::RepeatedPtrField<Event>& events,
    const std::vector<int>& passed, v1::RecordEventsResponse* response,
    WriteBatch* batch) {
  // One batched read of the idempotency keys of the events that passed.
  std::vector<std::string> id_keys;
  id_keys.reserve(passed.size());
  for (int i : passed) {
    id_keys.push_back(EventIdKey(events[i].user_id(),
                                 static_cast<uint8_t>(events[i].signal()),
                                 events[i].event_id()));
  }
  std::vector<absl::StatusOr<std::string>> existing =
      store_->MultiGet(Column::kEventIds, id_keys);
  std::vector<const Event*> stored;
  absl::flat_hash_set<std::string> ids_in_batch;
  for (size_t k = 0; k < passed.size(); ++k) {
    const Event& event = events[passed[k]];
    EventResult* result = response->mutable_results(passed[k]);
    if (!existing[k].ok() && !absl::IsNotFound(existing[k].status())) {
      return existing[k].status();
    }
    if (existing[k].ok() && !existing[k]->empty()) {
      // The id's tombstone: the event was deleted (DeleteRecord).
      result->set_outcome(v1::REJECTED);
      result->set_reason(v1::RECORD_DELETED);
      continue;
    }
    if (existing[k].ok() || !ids_in_batch.insert(id_keys[k]).second) {
      result->set_outcome(v1::DUPLICATE);
      continue;
    }
    batch->Put(Column::kEvents,
               EventKey(event.user_id(), static_cast<uint8_t>(event.signal()),
                        event.occurred_at_ms(), event.event_id()),
               ToRecord(event).SerializeAsString());
    batch->Put(Column::kEventIds, id_keys[k], "");
    result->set_outcome(v1::STORED);
    stored.push_back(&event);
  }
  return stored;
}

absl::StatusOr<v1::RecordEventsResponse> EventIngestor::Record(
    const google::protobuf::RepeatedPtrField<Event>& events) {
  PORTRAIT_RETURN_IF_ERROR(ValidateEvents(events, clock_->NowMillis()));
  const auto has_contacts = [](const Event& e) { return e.has_contacts(); };
  if (std::none_of(events.begin(), events.end(), has_contacts)) {
    return RecordValid(events);
  }
  // Plain contacts go no further than this copy.
  google::protobuf::RepeatedPtrField<Event> hashed = events;
  for (int i = 0; i < hashed.size(); ++i) {
    if (!hashed[i].has_contacts()) continue;
    const std::string field = absl::StrCat("events[", i, "].contacts");
    if (contacts_ == nullptr) return NoContactKey(field);
    PORTRAIT_RETURN_IF_ERROR(
        contacts_->HashContacts(hashed[i].mutable_contacts(), field));
  }
  return RecordValid(hashed);
}

absl::StatusOr<v1::RecordEventsResponse> EventIngestor::RecordValid(
    const google::protobuf::RepeatedPtrField<Event>& events) {
  v1::RecordEventsResponse response;
  std::vector<absl::string_view> users;
  for (const Event& event : events) {
    EventResult* result = response.add_results();
    result->set_event_id(event.event_id());
    if (std::optional<Rejection> rejection = CheckEventShape(event)) {
      SetRejected(*rejection, result);
    } else {
      users.push_back(event.user_id());
    }
  }

  // Consent check, idempotency check and write all happen under the users'
  // locks. The lock is held across the synced write on purpose: a revocation
  // must not land between the check and the write.
  UserLocks::Guard guard = locks_->Lock(users);
  PORTRAIT_ASSIGN_OR_RETURN(std::vector<int> passed,
                            GateByConsent(events, users, &response));
  WriteBatch batch;
  PORTRAIT_ASSIGN_OR_RETURN(std::vector<const Event*> stored,
                            StoreNew(events, passed, &response, &batch));
  if (!batch.empty()) {
    PORTRAIT_RETURN_IF_ERROR(store_->Write(batch, /*sync=*/true));
    if (on_stored_) PORTRAIT_RETURN_IF_ERROR(on_stored_(stored));
  }
  TallyOutcomes(&response);
  return response;
}

}  // namespace portrait
