// reshard: moves each user's data to the shard the cluster's new ring gives
// them, when shards are added to or removed from a cluster
// (docs/SCALING.md#resharding). Every portraitd of the cluster must be
// stopped: the tool opens each shard's RocksDB directly.
//
//   reshard --shards=s0,s1,s2,s3 \
//       --data=s0=/srv/s0,s1=/srv/s1,s2=/srv/s2,s3=/srv/s3
//
// --shards: the new cluster, in the order haproxy_config.py will be given.
// --data: the directory of every shard, old and new; a shard named here but
// not in --shards is retired (all its users move out). New directories are
// created; a shard that never ran as a shard gets the catalog and the
// trained model of --catalog_from.
//
// First every directory is marked as being resharded (portraitd refuses to
// start on it), then each user found on a shard the ring does not give them
// is moved (copied and synced, then erased and synced), the shards that gave
// users are compacted so the moved data leaves their files, and last each
// directory is stamped with the new layout and unmarked. Interrupted at any
// point, the same command finishes the job.
//
// Exit status: 0 done (or, with --dry_run, planned); 1 a storage error or a
// directory that cannot take part; 2 bad flags.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "portrait/storage/records.pb.h"
#include "services/cluster/haproxy_ring.h"
#include "services/cluster/shard_layout.h"
#include "services/cluster/user_move.h"
#include "services/storage/ids.h"
#include "services/storage/rocksdb_store.h"
#include "services/storage/schema.h"

ABSL_FLAG(std::vector<std::string>, shards, {},
          "the cluster's shard names after the change, in the order "
          "haproxy_config.py is given them");
ABSL_FLAG(std::vector<std::string>, data, {},
          "NAME=DIRECTORY of every shard, old and new");
ABSL_FLAG(std::string, catalog_from, "",
          "the shard whose catalog and trained model new shards get; empty: "
          "the first of --shards that has run as a shard");
ABSL_FLAG(bool, dry_run, false,
          "print how many users would move where, and change nothing");

namespace portrait {
namespace {

// Users moved per pair of synced writes: a user's rows are small, and each
// synced write costs a disk flush.
constexpr size_t kUsersPerWrite = 100;

struct Shard {
  std::string name;
  std::string directory;
  std::unique_ptr<RocksDbStore> store;
  bool placed = false;  // Holds a layout: has run as a shard, or was resharded.
  int kept = 0;
  std::map<std::string, int> gave;  // Users moved out, by destination.
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "reshard: %s\n", message.c_str());
  return 1;
}

// A step's line, written at once: an operator (or a test) sees how far a
// run got.
void Progress(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

int Run() {
  const std::vector<std::string> names = absl::GetFlag(FLAGS_shards);
  if (names.empty()) {
    std::fprintf(stderr, "--shards: is empty; name the cluster's shards\n");
    return 2;
  }
  std::map<std::string, Shard> shards;
  for (const std::string& spec : absl::GetFlag(FLAGS_data)) {
    std::vector<std::string> parts =
        absl::StrSplit(spec, absl::MaxSplits('=', 1));
    if (parts.size() != 2 || parts[1].empty() ||
        !ValidateId(parts[0], "name").ok()) {
      std::fprintf(stderr, "--data: %s is not NAME=DIRECTORY\n", spec.c_str());
      return 2;
    }
    if (shards.count(parts[0]) > 0) {
      std::fprintf(stderr, "--data: %s is named twice\n", parts[0].c_str());
      return 2;
    }
    shards[parts[0]] = Shard{parts[0], parts[1]};
  }
  for (const std::string& name : names) {
    absl::Status valid = ValidateId(name, absl::StrCat("--shards: ", name));
    if (!valid.ok()) {
      std::fprintf(stderr, "%s\n", std::string(valid.message()).c_str());
      return 2;
    }
    if (shards.count(name) == 0) {
      std::fprintf(stderr, "--data: names no directory for shard %s\n",
                   name.c_str());
      return 2;
    }
    if (std::count(names.begin(), names.end(), name) > 1) {
      std::fprintf(stderr, "--shards: %s is named twice\n", name.c_str());
      return 2;
    }
  }
  const HaproxyRing ring(names);
  storage::ShardLayout target;
  for (const std::string& name : names) target.add_shards(name);

  for (auto& [name, shard] : shards) {
    absl::StatusOr<std::unique_ptr<RocksDbStore>> store =
        RocksDbStore::Open({.path = shard.directory});
    if (!store.ok()) {
      return Fail(absl::StrCat(name, " (", shard.directory,
                               "): ", store.status().ToString(),
                               absl::IsFailedPrecondition(store.status())
                                   ? "; is its portraitd still running?"
                                   : ""));
    }
    shard.store = std::move(*store);
    absl::Status schema = CheckOrStampSchema(shard.store.get());
    if (!schema.ok()) {
      return Fail(
          absl::StrCat(name, " (", shard.directory, "): ", schema.ToString()));
    }
    absl::StatusOr<storage::ShardLayout> layout =
        ReadLayout(shard.store.get(), kShardLayoutKey);
    if (layout.ok()) {
      if (layout->shard() != name) {
        return Fail(absl::StrCat(name, " (", shard.directory,
                                 "): this directory is shard ", layout->shard(),
                                 "'s"));
      }
      shard.placed = true;
    } else if (!absl::IsNotFound(layout.status())) {
      return Fail(absl::StrCat(name, ": ", layout.status().ToString()));
    }
  }
  std::string donor = absl::GetFlag(FLAGS_catalog_from);
  if (donor.empty()) {
    for (const std::string& name : names) {
      if (shards[name].placed) {
        donor = name;
        break;
      }
    }
  }
  if (donor.empty() || shards.count(donor) == 0) {
    std::fprintf(stderr,
                 "--catalog_from: %s; name the shard whose catalog the new "
                 "shards get\n",
                 donor.empty() ? "no shard of --shards has run as a shard"
                               : "names no shard of --data");
    return 2;
  }

  const auto start = std::chrono::steady_clock::now();
  const bool dry_run = absl::GetFlag(FLAGS_dry_run);
  if (!dry_run) {
    for (auto& [name, shard] : shards) {
      storage::ShardLayout pending = target;
      pending.set_shard(name);
      WriteBatch batch;
      batch.Put(Column::kMeta, kReshardPendingKey, pending.SerializeAsString());
      absl::Status marked = shard.store->Write(batch, /*sync=*/true);
      if (!marked.ok())
        return Fail(absl::StrCat(name, ": ", marked.ToString()));
    }
    Progress("marked every directory as being resharded");
    for (const std::string& name : names) {
      if (shards[name].placed || name == donor) continue;
      absl::Status copied =
          CopySharedState(shards[donor].store.get(), shards[name].store.get());
      if (!copied.ok()) {
        return Fail(absl::StrCat("catalog of ", donor, " to ", name, ": ",
                                 copied.ToString()));
      }
    }
  }
  int moved = 0;
  for (auto& [name, shard] : shards) {
    absl::StatusOr<std::vector<std::string>> users =
        HeldUsers(shard.store.get());
    if (!users.ok())
      return Fail(absl::StrCat(name, ": ", users.status().ToString()));
    absl::StatusOr<UserMover> mover = UserMover::Create(shard.store.get());
    if (!mover.ok())
      return Fail(absl::StrCat(name, ": ", mover.status().ToString()));
    // The users that leave, by destination, moved a batch at a time.
    std::map<std::string, std::vector<std::string>> leaving;
    for (const std::string& user : *users) {
      const std::string& owner = ring.ShardOf(user);
      if (owner == name) {
        ++shard.kept;
      } else {
        leaving[owner].push_back(user);
      }
    }
    for (const auto& [owner, leavers] : leaving) {
      Progress(absl::StrCat(dry_run ? "would move " : "moving ", leavers.size(),
                            " users from ", name, " to ", owner));
      for (size_t i = 0; i < leavers.size(); i += kUsersPerWrite) {
        const absl::Span<const std::string> batch =
            absl::MakeConstSpan(leavers).subspan(i, kUsersPerWrite);
        if (!dry_run) {
          absl::Status done = mover->Move(batch, shards[owner].store.get());
          if (!done.ok()) {
            return Fail(absl::StrCat("moving users from ", name, " to ", owner,
                                     ": ", done.ToString()));
          }
        }
        shard.gave[owner] += batch.size();
        moved += batch.size();
      }
    }
  }
  const double move_s = SecondsSince(start);
  if (!dry_run) {
    for (auto& [name, shard] : shards) {
      if (shard.gave.empty()) continue;
      Progress(absl::StrCat("compacting ", name));
      absl::Status compacted = CompactUserData(shard.store.get());
      if (!compacted.ok()) {
        return Fail(
            absl::StrCat("compacting ", name, ": ", compacted.ToString()));
      }
    }
    for (auto& [name, shard] : shards) {
      storage::ShardLayout layout = target;
      layout.set_shard(name);
      WriteBatch batch;
      batch.Put(Column::kMeta, kShardLayoutKey, layout.SerializeAsString());
      batch.Delete(Column::kMeta, kReshardPendingKey);
      absl::Status stamped = shard.store->Write(batch, /*sync=*/true);
      if (!stamped.ok())
        return Fail(absl::StrCat(name, ": ", stamped.ToString()));
    }
  }
  for (const auto& [name, shard] : shards) {
    std::string gave;
    for (const auto& [to, count] : shard.gave) {
      absl::StrAppend(&gave, gave.empty() ? "" : ", ", count, " to ", to);
    }
    std::printf("%s%s: kept %d users%s%s\n", name.c_str(),
                shard.placed ? "" : " (new)", shard.kept,
                gave.empty() ? "" : ", moved ", gave.c_str());
  }
  std::printf("%s %d users in %.1f s (%.1f s with compaction)\n",
              dry_run ? "would move" : "moved", moved, move_s,
              SecondsSince(start));
  return 0;
}

}  // namespace
}  // namespace portrait

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Moves users to the shards the cluster's new ring gives them: reshard "
      "--shards=s0,s1,s2,s3 --data=s0=DIR,s1=DIR,s2=DIR,s3=DIR "
      "(docs/SCALING.md#resharding; every portraitd stopped)");
  absl::ParseCommandLine(argc, argv);
  return portrait::Run();
}
