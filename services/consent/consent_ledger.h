// ConsentLedger: where a revocation happens. Applies SetConsent requests to a
// user's consent record, erases or seals the revoked signals' raw events,
// appends the audit ledger and writes the erasure receipt, all in one synced
// write batch under the user's lock: either everything of a request is
// applied or nothing is. The receipt lists every registered
// ConsentObserver's components; the observers then forget the signal
// before SetConsent returns, or complete their part later. Also strips frozen
// signals whose retention ran out, and answers GetConsent, GetConsentHistory
// and GetErasureStatus.
//
// Thread-safe. Ingest for the same user takes the same UserLocks stripe, so
// an event is checked against consent and stored without a revocation in
// between.
#ifndef PORTRAIT_SERVICES_CONSENT_CONSENT_LEDGER_H_
#define PORTRAIT_SERVICES_CONSENT_CONSENT_LEDGER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "portrait/storage/records.pb.h"
#include "portrait/v1/consent.pb.h"
#include "services/consent/consent_changes.h"
#include "services/consent/consent_observer.h"
#include "services/consent/policy.h"
#include "services/locking/user_locks.h"
#include "services/storage/store.h"

namespace portrait {

class ConsentLedger {
 public:
  struct Options {
    // Everything else that must forget a revoked signal, in the order their
    // components appear on receipts. Each must outlive the ledger.
    std::vector<ConsentObserver*> observers;
    // Called (without locks held) after a commit whose receipt has PENDING
    // components (on-disk erasure, a model to retrain), to wake the
    // background work that completes them. May be empty.
    std::function<void()> on_background_work;
  };

  // All pointers must outlive the ledger.
  ConsentLedger(Store* store, const Clock* clock, UserLocks* locks,
                const ConsentPolicy* policy, Options options);

  // See ConsentService.SetConsent in consent.proto for the codes.
  // `authenticated_caller`, the identity the transport proved (empty
  // without TLS), goes into every ledger entry, as for the deletions below.
  absl::StatusOr<v1::SetConsentResponse> SetConsent(
      const v1::SetConsentRequest& request,
      const std::string& authenticated_caller = "");

  // INVALID_ARGUMENT for a malformed user_id.
  absl::StatusOr<v1::ConsentSnapshot> GetConsent(absl::string_view user_id);

  // INVALID_ARGUMENT for a malformed user_id, page_size or page_token.
  absl::StatusOr<v1::GetConsentHistoryResponse> GetHistory(
      const v1::GetConsentHistoryRequest& request);

  // INVALID_ARGUMENT for a malformed id; NOT_FOUND for an unknown receipt.
  absl::StatusOr<v1::GetErasureStatusResponse> GetErasureStatus(
      absl::string_view receipt_id);

  // Erases one stored event and unlearns it (see DeleteRecord in
  // profile.proto for the codes): one synced batch deletes the event, leaves
  // a tombstone under its event_id that refuses it again, appends the ledger
  // entry and writes the receipt; the observers then forget it as for a
  // STRIP of that one event. Idempotent by (user, signal, event_id).
  absl::StatusOr<v1::DeleteRecordResponse> DeleteRecord(
      const v1::DeleteRecordRequest& request,
      const std::string& authenticated_caller = "");

  // Deletes the account (see DeleteUser in profile.proto): one synced batch
  // strips every signal that holds data, deletes the push history, takes
  // what the observers add (the person and their posts from the catalog)
  // and marks the id deleted, with the ledger entries and one receipt.
  // Idempotent by user_id.
  absl::StatusOr<v1::DeleteUserResponse> DeleteUser(
      const v1::DeleteUserRequest& request,
      const std::string& authenticated_caller = "");

  // Strips every FROZEN signal whose retention deadline is at or before now
  // (at most `limit` per call), each as its own atomic commit with a ledger
  // entry by REQUESTER_SYSTEM. Returns how many were stripped.
  absl::StatusOr<int> ExpireFrozen(int limit = 1000);

  // Erases the raw events older than their signal's retention in the policy
  // (at most `limit` user-signal ranges per call), each range as its own
  // atomic commit with a ledger entry by REQUESTER_SYSTEM and a receipt whose
  // components carry `before_ms`; the observers forget the events as for a
  // STRIP of them. Reads every event key once. Returns how many ranges it
  // erased from.
  absl::StatusOr<int> ExpireEvents(int limit = 1000);

  const ConsentPolicy& policy() const { return *policy_; }

 private:
  // A user's changes ready to commit.
  struct Commit {
    std::string user_id;
    storage::ConsentRecord before;
    storage::ConsentRecord after;
    std::vector<v1::LedgerEntry> entries;
    std::vector<Revocation> revocations;
    bool account_deletion = false;
  };

  // Builds the batch of `commit` (ledger, record, receipt, erasure, freeze
  // deadlines) into *batch and returns the receipt. REQUIRES: the user's lock.
  absl::StatusOr<v1::ErasureReceipt> BuildCommit(Commit& commit, int64_t now_ms,
                                                 WriteBatch* batch);
  // BuildCommit into `batch` (which may hold the caller's own writes), one
  // synced write, then the observers. Returns the receipt. REQUIRES: the
  // user's lock.
  absl::StatusOr<v1::ErasureReceipt> WriteCommit(Commit& commit, int64_t now_ms,
                                                 WriteBatch& batch);
  // Wakes the background work if `receipt` has PENDING components. Call
  // without locks held.
  void WakeIfPending(const v1::ErasureReceipt& receipt);
  // The stored receipt `receipt_id`.
  absl::StatusOr<v1::ErasureReceipt> ReadReceipt(absl::string_view receipt_id);
  absl::StatusOr<v1::SetConsentResponse> Replay(
      const v1::SetConsentRequest& request, const std::string& stored);
  absl::StatusOr<v1::ConsentSnapshot> Snapshot(
      absl::string_view user_id, const storage::ConsentRecord& record,
      int64_t now_ms);
  absl::Status ExpireOne(absl::string_view key, int64_t now_ms, bool* stripped);
  // Erases `user_id`'s events of `signal` from before `before_ms`.
  absl::Status ExpireEventsOf(const std::string& user_id, v1::Signal signal,
                              int64_t before_ms, int64_t now_ms, bool* erased);
  // Tells every observer the user's new record. REQUIRES: the user's lock.
  absl::Status NotifyCommitted(const std::string& user_id,
                               const storage::ConsentRecord& record,
                               const v1::ErasureReceipt& receipt);

  // Constant after construction.
  Store* const store_;
  const Clock* const clock_;
  UserLocks* const locks_;
  const ConsentPolicy* const policy_;
  const Options options_;
  // Every observer's duties, in receipt order (each observer's are
  // constant, so they are collected once).
  const std::vector<ErasureDuty> duties_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_CONSENT_CONSENT_LEDGER_H_
