// ConsentHarness: the consent-relevant core (ingestor, ledger, disk eraser)
// over one Store with a FakeClock, driven in-process. For ledger unit tests
// and property tests; integration tests use the real server instead.
#ifndef PORTRAIT_TESTS_CONSENT_HARNESS_H_
#define PORTRAIT_TESTS_CONSENT_HARNESS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "portrait/v1/consent.pb.h"
#include "portrait/v1/ingest.pb.h"
#include "services/consent/consent_ledger.h"
#include "services/consent/disk_eraser.h"
#include "services/consent/policy.h"
#include "services/ingest/contacts.h"
#include "services/ingest/event_ingestor.h"
#include "services/locking/user_locks.h"
#include "services/storage/store.h"

namespace portrait {

inline constexpr int64_t kHarnessStartMs = 1'790'000'000'000;

class ConsentHarness {
 public:
  // Uses `store` (owned) and `policy` (must outlive the harness).
  ConsentHarness(std::unique_ptr<Store> store, const ConsentPolicy* policy);
  // A MemoryStore and the shipped policy.
  ConsentHarness();

  // One event; target and payload filled in to fit the signal.
  static v1::Event MakeEvent(const std::string& event_id,
                             const std::string& user, v1::Signal signal,
                             int64_t occurred_at_ms);

  absl::StatusOr<v1::RecordEventsResponse> Ingest(
      const std::vector<v1::Event>& events);
  // Ingests one event and returns its result (fails the test on error).
  v1::EventResult IngestOne(const v1::Event& event);

  // A SetConsent request with one signal change, by the user, at the
  // current policy version, with a fresh request id.
  v1::SetConsentRequest SignalRequest(
      const std::string& user, v1::Signal signal, bool grant,
      v1::RevocationAction action = v1::REVOCATION_ACTION_UNSPECIFIED);
  absl::StatusOr<v1::SetConsentResponse> Set(
      const v1::SetConsentRequest& request);
  absl::StatusOr<v1::SetConsentResponse> SetSignal(
      const std::string& user, v1::Signal signal, bool grant,
      v1::RevocationAction action = v1::REVOCATION_ACTION_UNSPECIFIED);

  // Event ids stored for (user, signal), in key order.
  std::vector<std::string> StoredEventIds(const std::string& user,
                                          v1::Signal signal);
  // Number of idempotency keys stored for the user.
  int CountEventIdKeys(const std::string& user);
  // Every ledger entry of the user, oldest first.
  std::vector<v1::LedgerEntry> Ledger(const std::string& user);
  v1::SignalConsent SignalState(const std::string& user, v1::Signal signal);

  Store* store() { return store_.get(); }
  FakeClock& clock() { return clock_; }
  ConsentLedger& ledger() { return *ledger_; }
  DiskEraser& eraser() { return *eraser_; }
  const ConsentPolicy& policy() { return *policy_; }

 private:
  std::unique_ptr<Store> store_;
  const ConsentPolicy* policy_;
  FakeClock clock_{kHarnessStartMs};
  UserLocks locks_;
  ContactHasher contacts_;
  std::unique_ptr<EventIngestor> ingestor_;
  std::unique_ptr<DiskEraser> eraser_;  // Registered with ledger_.
  std::unique_ptr<ConsentLedger> ledger_;
  int next_request_ = 0;
};

}  // namespace portrait

#endif  // PORTRAIT_TESTS_CONSENT_HARNESS_H_
