// FaultInjectingStore: wraps a Store and fails chosen calls, for tests of
// error paths. A failed Write applies nothing, as a real store's would.
// Thread-safe.
#ifndef PORTRAIT_SERVICES_STORAGE_FAULT_INJECTING_STORE_H_
#define PORTRAIT_SERVICES_STORAGE_FAULT_INJECTING_STORE_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/storage/store.h"

namespace portrait {

class FaultInjectingStore : public Store {
 public:
  // `base` must outlive the wrapper.
  explicit FaultInjectingStore(Store* base) : base_(base) {}

  // The next `n` Writes (and CompactRanges) fail with UNAVAILABLE.
  void FailNextWrites(int n) { failing_writes_ = n; }
  // Until ClearFaults: every Write (and CompactRange) fails with `status`,
  // applying nothing, as a full disk does (RocksDbStore reports it as
  // RESOURCE_EXHAUSTED) or a device that refuses writes (UNAVAILABLE).
  void FailAllWrites(absl::Status status) {
    SetPersistent(&all_writes_, status);
  }
  // Until ClearFaults: every synced Write fails with `status`, applying
  // nothing: an fsync that fails. Unsynced writes succeed.
  void FailSyncedWrites(absl::Status status) {
    SetPersistent(&synced_writes_, status);
  }
  // Ends FailAllWrites and FailSyncedWrites.
  void ClearFaults() {
    SetPersistent(&all_writes_, absl::OkStatus());
    SetPersistent(&synced_writes_, absl::OkStatus());
  }
  // The next `n` Gets and Scans fail.
  void FailNextReads(int n) { failing_reads_ = n; }
  // From now on, Scans wait `per_key` before visiting each key (a slow disk).
  void SlowScans(absl::Duration per_key) {
    scan_delay_ns_ = absl::ToInt64Nanoseconds(per_key);
  }
  // How many keys Scans have visited.
  int64_t keys_scanned() const { return keys_scanned_; }

  absl::StatusOr<std::string> Get(Column column,
                                  absl::string_view key) override;
  std::vector<absl::StatusOr<std::string>> MultiGet(
      Column column, const std::vector<std::string>& keys) override;
  absl::Status Write(const WriteBatch& batch, bool sync) override;
  absl::Status Scan(Column column, absl::string_view begin,
                    absl::string_view end, const ScanVisitor& visit) override;
  absl::Status CompactRange(Column column, absl::string_view begin,
                            absl::string_view end) override;

 private:
  static bool Take(std::atomic<int>& counter);
  void SetPersistent(absl::Status* fault, absl::Status status)
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    *fault = std::move(status);
  }
  // The persistent fault for a write, OK if none.
  absl::Status PersistentFault(bool sync) const ABSL_LOCKS_EXCLUDED(mu_);

  Store* const base_;
  std::atomic<int> failing_writes_{0};
  std::atomic<int> failing_reads_{0};
  std::atomic<int64_t> scan_delay_ns_{0};
  std::atomic<int64_t> keys_scanned_{0};
  mutable absl::Mutex mu_;
  absl::Status all_writes_ ABSL_GUARDED_BY(mu_);
  absl::Status synced_writes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_STORAGE_FAULT_INJECTING_STORE_H_
