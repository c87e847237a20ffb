// Reading and erasing a user's consent-governed data in the Store: the steps
// ConsentLedger and EventIngestor share. Callers hold the user's lock from
// UserLocks when they act on what they read.
#ifndef PORTRAIT_SERVICES_CONSENT_CONSENT_STORE_H_
#define PORTRAIT_SERVICES_CONSENT_CONSENT_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "portrait/storage/records.pb.h"
#include "portrait/v1/common.pb.h"
#include "services/consent/policy.h"
#include "services/storage/store.h"

namespace portrait {

// The user's consent record; an empty record if none was stored. DATA_LOSS
// if it does not parse; storage errors.
absl::StatusOr<storage::ConsentRecord> ReadConsentRecord(
    Store* store, absl::string_view user_id);

// The consent records of several users with one batched read, keyed by user
// (an empty record for users who have none). Errors as ReadConsentRecord.
absl::StatusOr<absl::flat_hash_map<std::string, storage::ConsentRecord>>
ReadConsentRecords(Store* store, const std::vector<std::string>& user_ids);

// Whether the birth year in the user's newest stored PROFILE_ATTRIBUTES event
// makes them a minor at `now_ms`. Only a PROFILE_ATTRIBUTES grant in effect
// counts: frozen or stripped attributes are used by nothing.
absl::StatusOr<bool> ReadMinorByStatedAge(Store* store,
                                          const ConsentPolicy& policy,
                                          const storage::ConsentRecord& record,
                                          absl::string_view user_id,
                                          int64_t now_ms);

// Marks `component` of the user's receipt `sequence` DONE at `now_ms` and
// deletes the pending record `pending_key` (column meta), in one synced
// write. A receipt that no longer exists only loses its pending record.
// REQUIRES: the user's lock. DATA_LOSS if the receipt does not parse.
absl::Status CompleteReceiptComponent(Store* store, absl::string_view user_id,
                                      int64_t sequence,
                                      absl::string_view component,
                                      absl::string_view pending_key,
                                      int64_t now_ms);

// Appends to `batch` the erasure of every stored raw event of the user's
// signal and of those events' idempotency keys: two range deletes, whatever
// the number of events.
void AppendStripOps(absl::string_view user_id, v1::Signal signal,
                    WriteBatch* batch);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_CONSENT_CONSENT_STORE_H_
