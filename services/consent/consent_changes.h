// The rules of SetConsent as pure functions: request validation, and the
// application of a request's changes to a user's consent record. No storage
// and no clock: ConsentLedger reads, calls these, and writes the result in one
// batch.
#ifndef PORTRAIT_SERVICES_CONSENT_CONSENT_CHANGES_H_
#define PORTRAIT_SERVICES_CONSENT_CONSENT_CHANGES_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "portrait/storage/records.pb.h"
#include "portrait/v1/consent.pb.h"
#include "services/consent/consent_observer.h"
#include "services/consent/policy.h"

namespace portrait {

inline constexpr int kMaxConsentChanges = 100;
inline constexpr int kMaxRequestIdBytes = 128;

// INVALID_ARGUMENT, naming the field and the limit, unless `request` is well
// formed (see SetConsentRequest in consent.proto).
absl::Status ValidateSetConsent(const v1::SetConsentRequest& request,
                                const ConsentPolicy& policy);

struct AppliedChanges {
  // One per change, in order; sequence and receipt_id are left for the
  // ledger to fill.
  std::vector<v1::LedgerEntry> entries;
  std::vector<Revocation> revocations;
};

// INVALID_ARGUMENT, naming the field and the limit, unless `request` is well
// formed (see DeleteRecordRequest in consent.proto).
absl::Status ValidateDeleteRecord(const v1::DeleteRecordRequest& request);

// INVALID_ARGUMENT, naming the field, unless `request` is well formed (see
// DeleteUserRequest in consent.proto).
absl::Status ValidateDeleteUser(const v1::DeleteUserRequest& request);

// Deletes the account in `*record` (a copy the caller writes only on
// success): STRIPs every signal that holds data (an entry and a revocation
// each), drops the user's relationships and marks the id deleted; the last
// entry is the account's. REQUIRES: not already deleted, and a request that
// passed ValidateDeleteUser.
absl::StatusOr<AppliedChanges> DeleteAccount(
    const ConsentPolicy& policy, const v1::DeleteUserRequest& request,
    int64_t now_ms, storage::ConsentRecord* record);

// The ledger entry of a DeleteRecord of the event at `occurred_at_ms`
// (sequence and receipt_id are left for the ledger to fill).
v1::LedgerEntry RecordDeletionEntry(const v1::DeleteRecordRequest& request,
                                    int64_t occurred_at_ms, int64_t now_ms,
                                    int32_t policy_version);

// Applies `request.changes()` in order to `*record` (a copy the caller
// writes only on success). `request` must have passed ValidateSetConsent.
// Errors, with nothing of the request to be written:
//   FAILED_PRECONDITION  the account is deleted; a sensitive grant names a
//                        stale policy version; a grant names a version below
//                        the signal's reconsent_since_version; FREEZE of a
//                        signal whose policy does not allow it; a sensitive
//                        grant or personalised purpose for a minor without
//                        guardian consent.
//   PERMISSION_DENIED    guardian consent changed by anyone but a guardian or
//                        the privacy desk.
absl::StatusOr<AppliedChanges> ApplyChanges(
    const ConsentPolicy& policy, const v1::SetConsentRequest& request,
    int64_t now_ms, bool minor_by_stated_age, storage::ConsentRecord* record);

// Moves a FROZEN signal whose retention ran out to STRIPPED, as the system.
// Returns the ledger entry; FAILED_PRECONDITION if the signal is not FROZEN
// with that deadline (it was re-granted or stripped since).
absl::StatusOr<v1::LedgerEntry> ExpireFrozenSignal(
    const ConsentPolicy& policy, v1::Signal signal, int64_t frozen_until_ms,
    int64_t now_ms, storage::ConsentRecord* record);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_CONSENT_CONSENT_CHANGES_H_
