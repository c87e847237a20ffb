// Moving users between shards' stores, for tools/cluster/reshard
// (docs/SCALING.md). All of a user's data (docs/STORAGE.md) is every key
// under "user_id 0x00" in the per-user columns, plus, in meta, the retention
// deadlines of the user's frozen signals and the pending components of the
// user's receipts (keys "pending_*/" "user_id/" sequence). All of it moves;
// nothing else of a shard is any one user's. The catalog and the trained
// model are every shard's alike.
//
// Not thread-safe; the stores must not be serving (the tool opens each
// database while its portraitd is stopped).
#ifndef PORTRAIT_SERVICES_CLUSTER_USER_MOVE_H_
#define PORTRAIT_SERVICES_CLUSTER_USER_MOVE_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "services/storage/store.h"

namespace portrait {

// The columns whose keys all start with "user_id 0x00".
inline constexpr Column kUserColumns[] = {Column::kEvents, Column::kEventIds,
                                          Column::kConsent, Column::kLedger,
                                          Column::kPush};

// Every user with a key in a per-user column, sorted. Storage errors.
absl::StatusOr<std::vector<std::string>> HeldUsers(Store* store);

// Moves users out of one store.
class UserMover {
 public:
  // Reads `from`'s retention deadlines once. Storage errors; DATA_LOSS
  // naming a malformed key.
  static absl::StatusOr<UserMover> Create(Store* from);

  // Replaces whatever `to` holds of each of `user_ids` with all of
  // `from`'s, in one synced write, then erases them from `from` in another.
  // After a failure or a crash between the two writes `from`'s copies are
  // still whole and still the ones that count: Move again. FAILED_PRECONDITION
  // naming the user, moving nothing, if `to` holds a key or value of one of
  // them that `from` does not (their data would be split, not moved);
  // storage errors (nothing of the failed write applied).
  absl::Status Move(absl::Span<const std::string> user_ids, Store* to);

 private:
  explicit UserMover(Store* from) : from_(from) {}

  Store* from_;
  // Each user's "freeze_expiry/" keys.
  absl::flat_hash_map<std::string, std::vector<std::string>> frozen_;
};

// Makes `to`'s catalog and trained model those of `from`, for a new shard:
// every shard holds the whole catalog and serves the same model. Written in
// batches of at most `batch_items` keys, each synced. Storage errors.
absl::Status CopySharedState(Store* from, Store* to, int batch_items = 1000);

// Rewrites `store`'s per-user columns and meta so that no deleted key's
// value survives in its files (a moved user's data leaves the source's disk,
// as an erasure's does). Storage errors.
absl::Status CompactUserData(Store* store);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_CLUSTER_USER_MOVE_H_
