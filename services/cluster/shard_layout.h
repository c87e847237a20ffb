// Which cluster a data directory's users were placed for (docs/SCALING.md).
// HAProxy sends a user to the shard the ring of the cluster's shard names
// gives; a shard started with another set of names, or with another name,
// or as a single server, would take calls for users whose data lives
// elsewhere, and split their data between two directories that a later
// revocation does not both reach. So each shard's directory carries the
// layout it was placed for, and portraitd refuses to start with another
// until tools/cluster/reshard moved the users.
#ifndef PORTRAIT_SERVICES_CLUSTER_SHARD_LAYOUT_H_
#define PORTRAIT_SERVICES_CLUSTER_SHARD_LAYOUT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "portrait/storage/records.pb.h"
#include "services/storage/store.h"

namespace portrait {

inline constexpr absl::string_view kShardLayoutKey = "shard_layout";
inline constexpr absl::string_view kReshardPendingKey = "reshard_pending";

// At a server's start. `shard` is its --shard_name (empty: a single server)
// and `peers` the other shards' names. Stamps a directory without a layout
// with this one (names sorted); accepts one stamped with the same name and
// the same set of names. FAILED_PRECONDITION, saying what to do, when a
// reshard is unfinished, when the directory is another shard's or another
// cluster's, or when a single server opens a shard's directory. Storage
// errors; DATA_LOSS if the record does not parse.
absl::Status CheckOrStampLayout(Store* store, absl::string_view shard,
                                const std::vector<std::string>& peers);

// The record under `key` (kShardLayoutKey or kReshardPendingKey); NOT_FOUND
// when there is none.
absl::StatusOr<storage::ShardLayout> ReadLayout(Store* store,
                                                absl::string_view key);

// "s0 s1 s2": a layout's names as messages print them.
std::string LayoutNames(const storage::ShardLayout& layout);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_CLUSTER_SHARD_LAYOUT_H_
