// UserDataExporter: everything Portrait holds about one user, for the right
// of access and portability (ProfileService.ExportUserData; the format is
// docs/EXPORT.md).
#ifndef PORTRAIT_SERVICES_RIGHTS_USER_EXPORT_H_
#define PORTRAIT_SERVICES_RIGHTS_USER_EXPORT_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/cancellation.h"
#include "base/clock.h"
#include "portrait/v1/profile.pb.h"
#include "services/consent/consent_ledger.h"
#include "services/locking/user_locks.h"
#include "services/portrait/portrait_index.h"
#include "services/storage/store.h"

namespace portrait {

inline constexpr int kExportFormatVersion = 1;

// Thread-safe. All pointers must outlive it.
class UserDataExporter {
 public:
  UserDataExporter(Store* store, UserLocks* locks, ConsentLedger* ledger,
                   const PortraitIndex* index, const Clock* clock);

  // Every part of `user_id`'s export, in the documented order. It is read
  // under the user's lock (the one consent changes and ingest take), so
  // nothing of the user changes between its parts; it is held in memory,
  // which a user's data bounds (retention limits it). Errors:
  // INVALID_ARGUMENT for a malformed user_id; storage errors; DATA_LOSS for
  // a corrupt record; `cancel`'s.
  absl::StatusOr<std::vector<v1::ExportPart>> Export(
      absl::string_view user_id, const Cancellation& cancel) const;

 private:
  Store* const store_;
  UserLocks* const locks_;
  ConsentLedger* const ledger_;
  const PortraitIndex* const index_;
  const Clock* const clock_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_RIGHTS_USER_EXPORT_H_
