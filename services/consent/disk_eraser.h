// DiskEraser: finishes the on-disk part of erasures. A STRIP deletes a range
// logically inside SetConsent; the deleted bytes stay in the database files
// until compaction rewrites them. As a ConsentObserver, the eraser puts a
// "raw_events_on_disk" component on every STRIP's receipt and a
// PendingCompaction record into the commit; RunPending compacts each recorded
// range and then marks the receipt's "raw_events_on_disk" component DONE.
// Pending records are durable, so work left by a crash is done after restart.
//
// Thread-safe; meant to be driven by one background thread.
#ifndef PORTRAIT_SERVICES_CONSENT_DISK_ERASER_H_
#define PORTRAIT_SERVICES_CONSENT_DISK_ERASER_H_

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "services/consent/consent_observer.h"
#include "services/locking/user_locks.h"
#include "services/storage/store.h"

namespace portrait {

class DiskEraser : public ConsentObserver {
 public:
  // All pointers must outlive the eraser. `deadline_ms`: the promised time
  // for erased bytes to leave the database files.
  DiskEraser(Store* store, const Clock* clock, UserLocks* locks,
             int64_t deadline_ms = int64_t{24} * 3600 * 1000);

  std::vector<ErasureDuty> Duties() const override;
  void AddToCommit(const RevocationCommit& commit, WriteBatch* batch) override;

  // Completes every pending erasure. Returns how many receipts it completed.
  // On an error the remaining work stays pending for the next call.
  absl::StatusOr<int> RunPending();

 private:
  absl::Status CompleteOne(absl::string_view key, absl::string_view value);

  Store* const store_;
  const Clock* const clock_;
  UserLocks* const locks_;
  const int64_t deadline_ms_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_CONSENT_DISK_ERASER_H_
