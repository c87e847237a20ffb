#include "services/consent/disk_eraser.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "portrait/storage/records.pb.h"
#include "portrait/v1/consent.pb.h"
#include "services/storage/keys.h"

namespace portrait {

DiskEraser::DiskEraser(Store* store, const Clock* clock, UserLocks* locks)
    : store_(store), clock_(clock), locks_(locks) {}

absl::StatusOr<int> DiskEraser::RunPending() {
  std::vector<std::pair<std::string, std::string>> pending;
  const std::string begin(kPendingCompactionPrefix);
  PORTRAIT_RETURN_IF_ERROR(store_->Scan(
      Column::kMeta, begin, PrefixEnd(begin),
      [&](absl::string_view key, absl::string_view value) {
        pending.emplace_back(key, value);
        return true;
      }));
  for (const auto& [key, value] : pending) {
    PORTRAIT_RETURN_IF_ERROR(CompleteOne(key, value));
  }
  return static_cast<int>(pending.size());
}

absl::Status DiskEraser::CompleteOne(absl::string_view key,
                                     absl::string_view value) {
  storage::PendingCompaction pending;
  if (!pending.ParseFromArray(value.data(), static_cast<int>(value.size())) ||
      pending.begins_size() != pending.columns_size() ||
      pending.ends_size() != pending.columns_size()) {
    return absl::DataLossError(absl::StrCat("pending compaction ", key,
                                            " does not parse"));
  }
  for (int i = 0; i < pending.columns_size(); ++i) {
    PORTRAIT_RETURN_IF_ERROR(store_->CompactRange(
        static_cast<Column>(pending.columns(i)), pending.begins(i),
        pending.ends(i)));
  }
  UserLocks::Guard guard = locks_->Lock(pending.user_id());
  const std::string receipt_key =
      ReceiptKey(pending.user_id(), pending.receipt_sequence());
  PORTRAIT_ASSIGN_OR_RETURN(std::string stored,
                            store_->Get(Column::kConsent, receipt_key));
  v1::ErasureReceipt receipt;
  if (!receipt.ParseFromString(stored)) {
    return absl::DataLossError(absl::StrCat("receipt ", receipt_key.size(),
                                            " bytes does not parse"));
  }
  const int64_t now_ms = clock_->NowMillis();
  for (v1::ErasureComponent& c : *receipt.mutable_components()) {
    if (c.component() != "raw_events_on_disk" || c.state() == v1::DONE) continue;
    c.set_state(v1::DONE);
    c.set_done_at_ms(now_ms);
  }
  WriteBatch batch;
  batch.Put(Column::kConsent, receipt_key, receipt.SerializeAsString());
  batch.Delete(Column::kMeta, key);
  return store_->Write(batch, /*sync=*/true);
}

}  // namespace portrait
