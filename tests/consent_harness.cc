#include "tests/consent_harness.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/consent/test_policy.h"
#include "services/storage/keys.h"
#include "services/storage/memory_store.h"

namespace portrait {

ConsentHarness::ConsentHarness(std::unique_ptr<Store> store,
                               const ConsentPolicy* policy)
    : store_(std::move(store)),
      policy_(policy),
      contacts_(*ContactHasher::Create(
          "consent harness contact key, 32 bytes or more", "86")) {
  ingestor_ = std::make_unique<EventIngestor>(store_.get(), &clock_, &locks_,
                                              policy_, &contacts_);
  eraser_ = std::make_unique<DiskEraser>(store_.get(), &clock_, &locks_);
  ConsentLedger::Options options;
  options.observers = {eraser_.get()};
  ledger_ = std::make_unique<ConsentLedger>(store_.get(), &clock_, &locks_,
                                            policy_, std::move(options));
}

ConsentHarness::ConsentHarness()
    : ConsentHarness(std::make_unique<MemoryStore>(), &ShippedPolicy()) {}

v1::Event ConsentHarness::MakeEvent(const std::string& event_id,
                                    const std::string& user, v1::Signal signal,
                                    int64_t occurred_at_ms) {
  v1::Event e;
  e.set_event_id(event_id);
  e.set_user_id(user);
  e.set_signal(signal);
  e.set_occurred_at_ms(occurred_at_ms);
  switch (signal) {
    case v1::FOLLOW:
    case v1::BLOCK:
      e.mutable_target()->set_kind(v1::ITEM_BRAND);
      e.mutable_target()->set_id("brand-1");
      break;
    case v1::FRIEND:
      e.mutable_target()->set_kind(v1::ITEM_USER);
      e.mutable_target()->set_id(absl::StrCat("friend-of-", user));
      break;
    case v1::SEARCH:
      e.mutable_search()->set_query("red shoes");
      break;
    case v1::LOCATION:
      e.mutable_location()->set_latitude(31.23);
      e.mutable_location()->set_longitude(121.47);
      break;
    case v1::CONTACTS:
      e.mutable_contacts()->add_contacts("+86 138 0013 8000");
      break;
    case v1::PROFILE_ATTRIBUTES:
      e.mutable_profile_attributes()->set_city("Shanghai");
      break;
    default:
      e.mutable_target()->set_kind(v1::ITEM_POST);
      e.mutable_target()->set_id("post-1");
      break;
  }
  return e;
}

absl::StatusOr<v1::RecordEventsResponse> ConsentHarness::Ingest(
    const std::vector<v1::Event>& events) {
  google::protobuf::RepeatedPtrField<v1::Event> batch(events.begin(),
                                                      events.end());
  return ingestor_->Record(batch);
}

v1::EventResult ConsentHarness::IngestOne(const v1::Event& event) {
  absl::StatusOr<v1::RecordEventsResponse> response = Ingest({event});
  EXPECT_TRUE(response.ok()) << response.status();
  return response.ok() ? response->results(0) : v1::EventResult();
}

v1::SetConsentRequest ConsentHarness::SignalRequest(
    const std::string& user, v1::Signal signal, bool grant,
    v1::RevocationAction action) {
  v1::SetConsentRequest request;
  request.set_user_id(user);
  request.set_requester(v1::REQUESTER_USER);
  request.set_caller_id("toggle-handler");
  request.set_request_id(absl::StrCat("req-", ++next_request_));
  request.set_policy_version(policy_->version());
  v1::SignalChange* change = request.add_changes()->mutable_signal();
  change->set_signal(signal);
  change->set_grant(grant);
  change->set_action(action);
  return request;
}

absl::StatusOr<v1::SetConsentResponse> ConsentHarness::Set(
    const v1::SetConsentRequest& request) {
  return ledger_->SetConsent(request);
}

absl::StatusOr<v1::SetConsentResponse> ConsentHarness::SetSignal(
    const std::string& user, v1::Signal signal, bool grant,
    v1::RevocationAction action) {
  return Set(SignalRequest(user, signal, grant, action));
}

std::vector<std::string> ConsentHarness::StoredEventIds(const std::string& user,
                                                        v1::Signal signal) {
  std::vector<std::string> ids;
  const std::string begin = UserSignalPrefix(user, signal);
  EXPECT_TRUE(store_
                  ->Scan(Column::kEvents, begin, PrefixEnd(begin),
                         [&](absl::string_view key, absl::string_view) {
                           ids.push_back(ParseEventKey(key)->event_id);
                           return true;
                         })
                  .ok());
  return ids;
}

int ConsentHarness::CountEventIdKeys(const std::string& user) {
  int n = 0;
  const std::string begin = UserPrefix(user);
  EXPECT_TRUE(store_
                  ->Scan(Column::kEventIds, begin, PrefixEnd(begin),
                         [&](absl::string_view, absl::string_view) {
                           ++n;
                           return true;
                         })
                  .ok());
  return n;
}

std::vector<v1::LedgerEntry> ConsentHarness::Ledger(const std::string& user) {
  v1::GetConsentHistoryRequest request;
  request.set_user_id(user);
  request.set_page_size(1000);
  absl::StatusOr<v1::GetConsentHistoryResponse> history =
      ledger_->GetHistory(request);
  EXPECT_TRUE(history.ok()) << history.status();
  if (!history.ok()) return {};
  return {history->entries().begin(), history->entries().end()};
}

v1::SignalConsent ConsentHarness::SignalState(const std::string& user,
                                              v1::Signal signal) {
  absl::StatusOr<v1::ConsentSnapshot> snapshot = ledger_->GetConsent(user);
  EXPECT_TRUE(snapshot.ok()) << snapshot.status();
  if (snapshot.ok()) {
    for (const v1::SignalConsent& s : snapshot->signals()) {
      if (s.signal() == signal) return s;
    }
  }
  ADD_FAILURE() << "no state for " << v1::Signal_Name(signal);
  return v1::SignalConsent();
}

}  // namespace portrait
