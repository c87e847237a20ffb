#include "services/cluster/shard_layout.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"

namespace portrait {

absl::StatusOr<storage::ShardLayout> ReadLayout(Store* store,
                                                absl::string_view key) {
  PORTRAIT_ASSIGN_OR_RETURN(std::string value, store->Get(Column::kMeta, key));
  storage::ShardLayout layout;
  if (!layout.ParseFromString(value)) {
    return absl::DataLossError(
        absl::StrCat("meta key ", key, ": not a ShardLayout record"));
  }
  return layout;
}

std::string LayoutNames(const storage::ShardLayout& layout) {
  return absl::StrJoin(layout.shards(), " ");
}

absl::Status CheckOrStampLayout(Store* store, absl::string_view shard,
                                const std::vector<std::string>& peers) {
  absl::StatusOr<storage::ShardLayout> pending =
      ReadLayout(store, kReshardPendingKey);
  if (pending.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "a reshard of this data directory to the shards ",
        LayoutNames(*pending),
        " did not finish; run tools/cluster/reshard again with the same "
        "flags (docs/SCALING.md)"));
  }
  if (!absl::IsNotFound(pending.status())) return pending.status();

  absl::StatusOr<storage::ShardLayout> stamped =
      ReadLayout(store, kShardLayoutKey);
  if (!absl::IsNotFound(stamped.status())) {
    PORTRAIT_RETURN_IF_ERROR(stamped.status());
    if (shard.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "this data directory is shard ", stamped->shard(), " of the shards ",
          LayoutNames(*stamped), "; start it with --shard_name=",
          stamped->shard(), " and --peers naming the others"));
    }
    if (std::find(stamped->shards().begin(), stamped->shards().end(),
                  stamped->shard()) == stamped->shards().end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "this data directory was shard ", stamped->shard(),
          "'s until tools/cluster/reshard gave its users to the shards ",
          LayoutNames(*stamped), "; it holds no users"));
    }
    if (stamped->shard() != shard) {
      return absl::FailedPreconditionError(absl::StrCat(
          "shard_name: is ", shard, ", but this data directory is shard ",
          stamped->shard(), "'s (of the shards ", LayoutNames(*stamped), ")"));
    }
  }
  if (shard.empty()) return absl::OkStatus();

  std::vector<std::string> names = peers;
  names.emplace_back(shard);
  std::sort(names.begin(), names.end());
  if (stamped.ok()) {
    std::vector<std::string> placed(stamped->shards().begin(),
                                    stamped->shards().end());
    std::sort(placed.begin(), placed.end());
    if (placed == names) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(
        "shard_name and peers: name the shards ", absl::StrJoin(names, " "),
        ", but this data directory's users were placed for the shards ",
        LayoutNames(*stamped),
        "; move them with tools/cluster/reshard first (docs/SCALING.md)"));
  }
  storage::ShardLayout layout;
  layout.set_shard(std::string(shard));
  for (std::string& name : names) layout.add_shards(std::move(name));
  WriteBatch batch;
  batch.Put(Column::kMeta, kShardLayoutKey, layout.SerializeAsString());
  return store->Write(batch, /*sync=*/true);
}

}  // namespace portrait
