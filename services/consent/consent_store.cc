#include "services/consent/consent_store.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "portrait/v1/consent.pb.h"
#include "portrait/v1/ingest.pb.h"
#include "services/consent/consent_view.h"
#include "services/storage/keys.h"
#include "services/storage/stored_protos.h"

namespace portrait {

absl::StatusOr<storage::ConsentRecord> ReadConsentRecord(
    Store* store, absl::string_view user_id) {
  absl::StatusOr<std::string> value =
      store->Get(Column::kConsent, ConsentStateKey(user_id));
  if (absl::IsNotFound(value.status())) return storage::ConsentRecord();
  PORTRAIT_RETURN_IF_ERROR(value.status());
  return ParseStored<storage::ConsentRecord>(
      *value, absl::StrCat("consent record of ", user_id));
}

absl::StatusOr<absl::flat_hash_map<std::string, storage::ConsentRecord>>
ReadConsentRecords(Store* store, const std::vector<std::string>& user_ids) {
  std::vector<std::string> keys;
  keys.reserve(user_ids.size());
  for (const std::string& user : user_ids)
    keys.push_back(ConsentStateKey(user));
  std::vector<absl::StatusOr<std::string>> values =
      store->MultiGet(Column::kConsent, keys);
  absl::flat_hash_map<std::string, storage::ConsentRecord> records;
  for (size_t i = 0; i < user_ids.size(); ++i) {
    storage::ConsentRecord& record = records[user_ids[i]];
    if (absl::IsNotFound(values[i].status())) continue;
    PORTRAIT_RETURN_IF_ERROR(values[i].status());
    PORTRAIT_ASSIGN_OR_RETURN(
        record,
        ParseStored<storage::ConsentRecord>(
            *values[i], absl::StrCat("consent record of ", user_ids[i])));
  }
  return records;
}

absl::StatusOr<bool> ReadMinorByStatedAge(Store* store,
                                          const ConsentPolicy& policy,
                                          const storage::ConsentRecord& record,
                                          absl::string_view user_id,
                                          int64_t now_ms) {
  ConsentView view(policy, record, /*minor_by_stated_age=*/false);
  if (!view.Signal(v1::PROFILE_ATTRIBUTES).effective) return false;
  const std::string begin = UserSignalPrefix(user_id, v1::PROFILE_ATTRIBUTES);
  int32_t birth_year = 0;
  // Events are in time order: the last one that states a year wins.
  PORTRAIT_RETURN_IF_ERROR(ScanProtos<storage::EventRecord>(
      store, Column::kEvents, begin, PrefixEnd(begin),
      absl::StrCat("a PROFILE_ATTRIBUTES event of ", user_id),
      [&](absl::string_view, const storage::EventRecord& event) {
        if (event.profile_attributes().birth_year() != 0) {
          birth_year = event.profile_attributes().birth_year();
        }
        return true;
      }));
  return IsMinorByBirthYear(birth_year, policy.minor_age(), now_ms);
}

absl::Status CompleteReceiptComponent(Store* store, absl::string_view user_id,
                                      int64_t sequence,
                                      absl::string_view component,
                                      absl::string_view pending_key,
                                      int64_t now_ms) {
  const std::string receipt_key = ReceiptKey(user_id, sequence);
  WriteBatch batch;
  batch.Delete(Column::kMeta, pending_key);
  absl::StatusOr<std::string> stored =
      store->Get(Column::kConsent, receipt_key);
  if (stored.ok()) {
    PORTRAIT_ASSIGN_OR_RETURN(
        storage::ReceiptRecord receipt,
        ParseStored<storage::ReceiptRecord>(
            *stored, absl::StrCat("receipt ", user_id, "/", sequence)));
    for (storage::ReceiptComponentRecord& c : *receipt.mutable_components()) {
      if (c.component() != component || c.state() == v1::DONE) continue;
      c.set_state(v1::DONE);
      c.set_done_at_ms(now_ms);
    }
    batch.Put(Column::kConsent, receipt_key, receipt.SerializeAsString());
  } else if (!absl::IsNotFound(stored.status())) {
    return stored.status();
  }
  return store->Write(batch, /*sync=*/true);
}

void AppendStripOps(absl::string_view user_id, v1::Signal signal,
                    WriteBatch* batch) {
  const std::string begin = UserSignalPrefix(user_id, signal);
  const std::string end = PrefixEnd(begin);
  batch->DeleteRange(Column::kEvents, begin, end);
  batch->DeleteRange(Column::kEventIds, begin, end);
}

}  // namespace portrait
