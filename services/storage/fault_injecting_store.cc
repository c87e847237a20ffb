#include "services/storage/fault_injecting_store.h"

#include "absl/time/clock.h"
#include "base/status_macros.h"

namespace portrait {

bool FaultInjectingStore::Take(std::atomic<int>& counter) {
  int n = counter.load();
  while (n > 0) {
    if (counter.compare_exchange_weak(n, n - 1)) return true;
  }
  return false;
}

absl::StatusOr<std::string> FaultInjectingStore::Get(Column column,
                                                     absl::string_view key) {
  if (Take(failing_reads_))
    return absl::UnavailableError("injected read fault");
  return base_->Get(column, key);
}

std::vector<absl::StatusOr<std::string>> FaultInjectingStore::MultiGet(
    Column column, const std::vector<std::string>& keys) {
  if (Take(failing_reads_)) {
    return std::vector<absl::StatusOr<std::string>>(
        keys.size(), absl::UnavailableError("injected read fault"));
  }
  return base_->MultiGet(column, keys);
}

absl::Status FaultInjectingStore::PersistentFault(bool sync) const {
  absl::MutexLock lock(&mu_);
  if (!all_writes_.ok()) return all_writes_;
  if (sync && !synced_writes_.ok()) return synced_writes_;
  return absl::OkStatus();
}

absl::Status FaultInjectingStore::Write(const WriteBatch& batch, bool sync) {
  if (Take(failing_writes_)) {
    return absl::UnavailableError("injected write fault");
  }
  PORTRAIT_RETURN_IF_ERROR(PersistentFault(sync));
  return base_->Write(batch, sync);
}

absl::Status FaultInjectingStore::Scan(Column column, absl::string_view begin,
                                       absl::string_view end,
                                       const ScanVisitor& visit) {
  if (Take(failing_reads_))
    return absl::UnavailableError("injected read fault");
  return base_->Scan(column, begin, end,
                     [&](absl::string_view key, absl::string_view value) {
                       if (const int64_t ns = scan_delay_ns_.load(); ns > 0) {
                         absl::SleepFor(absl::Nanoseconds(ns));
                       }
                       ++keys_scanned_;
                       return visit(key, value);
                     });
}

absl::Status FaultInjectingStore::CompactRange(Column column,
                                               absl::string_view begin,
                                               absl::string_view end) {
  if (Take(failing_writes_)) {
    return absl::UnavailableError("injected compaction fault");
  }
  PORTRAIT_RETURN_IF_ERROR(PersistentFault(/*sync=*/false));
  return base_->CompactRange(column, begin, end);
}

}  // namespace portrait
