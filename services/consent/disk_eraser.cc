#include "services/consent/disk_eraser.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "portrait/storage/records.pb.h"
#include "portrait/v1/consent.pb.h"
#include "services/consent/consent_store.h"
#include "services/consent/erasure_components.h"
#include "services/storage/keys.h"

namespace portrait {

DiskEraser::DiskEraser(Store* store, const Clock* clock, UserLocks* locks,
                       int64_t deadline_ms)
    : store_(store), clock_(clock), locks_(locks), deadline_ms_(deadline_ms) {}

std::vector<ErasureDuty> DiskEraser::Duties() const {
  return {{erasure::kRawEventsOnDisk, deadline_ms_, /*erased_only=*/true}};
}

void DiskEraser::AddToCommit(const RevocationCommit& commit,
                             WriteBatch* batch) {
  storage::PendingCompaction pending;
  for (const Revocation& r : commit.revocations) {
    if (!r.erase) continue;
    if (r.before_ms > 0) {  // Retention: the expired events, all ids.
      const std::string begin = UserSignalPrefix(commit.user_id, r.signal);
      pending.add_columns(static_cast<int>(Column::kEvents));
      pending.add_begins(begin);
      pending.add_ends(EventKey(commit.user_id, static_cast<uint8_t>(r.signal),
                                r.before_ms, ""));
      pending.add_columns(static_cast<int>(Column::kEventIds));
      pending.add_begins(begin);
      pending.add_ends(PrefixEnd(begin));
      continue;
    }
    if (!r.event_key.empty()) {  // One event: [its key, the next key).
      pending.add_columns(static_cast<int>(Column::kEvents));
      pending.add_begins(r.event_key);
      pending.add_ends(r.event_key + std::string(1, '\0'));
      continue;
    }
    const std::string begin = UserSignalPrefix(commit.user_id, r.signal);
    for (Column column : {Column::kEvents, Column::kEventIds}) {
      pending.add_columns(static_cast<int>(column));
      pending.add_begins(begin);
      pending.add_ends(PrefixEnd(begin));
    }
  }
  if (pending.columns_size() == 0) return;
  pending.set_user_id(commit.user_id);
  pending.set_receipt_sequence(commit.receipt_sequence);
  batch->Put(Column::kMeta, PendingCompactionKey(commit.receipt_id),
             pending.SerializeAsString());
}

absl::StatusOr<int> DiskEraser::RunPending() {
  std::vector<std::pair<std::string, std::string>> pending;
  const std::string begin(kPendingCompactionPrefix);
  PORTRAIT_RETURN_IF_ERROR(
      store_->Scan(Column::kMeta, begin, PrefixEnd(begin),
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
    return absl::DataLossError(
        absl::StrCat("pending compaction ", key, " does not parse"));
  }
  for (int i = 0; i < pending.columns_size(); ++i) {
    PORTRAIT_RETURN_IF_ERROR(
        store_->CompactRange(static_cast<Column>(pending.columns(i)),
                             pending.begins(i), pending.ends(i)));
  }
  UserLocks::Guard guard = locks_->Lock(pending.user_id());
  return CompleteReceiptComponent(
      store_, pending.user_id(), pending.receipt_sequence(),
      erasure::kRawEventsOnDisk, key, clock_->NowMillis());
}

}  // namespace portrait
