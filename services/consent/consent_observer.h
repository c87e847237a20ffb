// ConsentObserver: what else must forget a revoked signal, seen from the
// ledger. Everything that holds data derived from a user's signals (the
// portrait index and its shared models, the trained model, the database
// files) implements it and is registered once, in ConsentLedger::Options.
// For each commit the ledger asks every observer, in registration order,
// to name its receipt components and to add its durable bookkeeping to the
// commit's write batch; after the synced write it tells every observer the
// user's new consent record.
#ifndef PORTRAIT_SERVICES_CONSENT_CONSENT_OBSERVER_H_
#define PORTRAIT_SERVICES_CONSENT_CONSENT_OBSERVER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "portrait/storage/records.pb.h"
#include "portrait/v1/consent.pb.h"
#include "services/storage/store.h"

namespace portrait {

// One signal revoked by a commit.
struct Revocation {
  v1::Signal signal;
  v1::RevocationAction action;  // Resolved: FREEZE or STRIP.
  // STRIP of data that was GRANTED or FROZEN: the raw events must go.
  bool erase = false;
  // DeleteRecord: only this one event goes (its kEvents key and event_id);
  // its id stays as a tombstone. Both empty otherwise.
  std::string event_key;
  std::string event_id;
  // Retention: only the events that occurred before this time go, with
  // their ids (`expired_ids`). 0 otherwise.
  int64_t before_ms = 0;
  std::vector<std::string> expired_ids;
};

// One receipt component an observer answers for (a name from
// erasure_components.h).
struct ErasureDuty {
  const char* component;
  // 0: done inside the commit (the observer forgets in OnConsentCommitted,
  // before SetConsent returns): DONE on the receipt. Otherwise the
  // observer completes it later (CompleteReceiptComponent): PENDING on the
  // receipt with this deadline after the commit.
  int64_t deadline_ms = 0;
  // Only for revocations whose raw events are erased (a STRIP), not for a
  // FREEZE.
  bool erased_only = false;
};

// A commit of revocations, as the observers see it while it is built.
struct RevocationCommit {
  const std::string& user_id;
  const std::string& receipt_id;
  int64_t receipt_sequence;
  int64_t now_ms;
  // Never empty, except for the deletion of an account that held no data.
  const std::vector<Revocation>& revocations;
  // DeleteUser: the account itself goes too.
  bool account_deletion = false;
};

class ConsentObserver {
 public:
  virtual ~ConsentObserver() = default;

  // The components this observer adds to every revocation's receipt, in
  // order. Constant: the ledger asks once, when it is constructed.
  virtual std::vector<ErasureDuty> Duties() const = 0;

  // Adds what the observer needs to find its pending work later (written
  // atomically with the revocation, so a crash cannot lose it). Called under
  // the user's lock. Default: nothing.
  virtual void AddToCommit(const RevocationCommit& commit, WriteBatch* batch) {}

  // Called with the user's new consent record after each commit (and on
  // each retry of a committed request), under the user's lock, before
  // SetConsent returns: derived state drops or restores signals here.
  // Idempotent. Its error is returned to the caller; the commit stands and
  // a retry with the same request_id calls it again. Default: nothing.
  virtual absl::Status OnConsentCommitted(const std::string& user_id,
                                          const storage::ConsentRecord& record,
                                          const v1::ErasureReceipt& receipt) {
    return absl::OkStatus();
  }
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_CONSENT_CONSENT_OBSERVER_H_
