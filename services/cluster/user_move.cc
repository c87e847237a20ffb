#include "services/cluster/user_move.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "services/storage/keys.h"

namespace portrait {
namespace {

// The pending components of a user's receipts: prefix "user_id/".
constexpr absl::string_view kPendingPrefixes[] = {
    kPendingModelPrefix, kPendingPeersPrefix, kPendingCompactionPrefix};

// The end of every catalog key (kind byte, then id) and model key.
constexpr absl::string_view kAllKeysEnd = "\xff";

// Every key and value of `user_id` in `store`, by column.
absl::StatusOr<std::map<std::pair<Column, std::string>, std::string>> UserRows(
    Store* store, absl::string_view user_id,
    const std::vector<std::string>& frozen) {
  std::map<std::pair<Column, std::string>, std::string> rows;
  auto add = [&](Column column, absl::string_view begin) {
    return store->Scan(column, begin, PrefixEnd(begin),
                       [&](absl::string_view key, absl::string_view value) {
                         rows[{column, std::string(key)}] = std::string(value);
                         return true;
                       });
  };
  for (Column column : kUserColumns) {
    PORTRAIT_RETURN_IF_ERROR(add(column, UserPrefix(user_id)));
  }
  for (absl::string_view pending : kPendingPrefixes) {
    PORTRAIT_RETURN_IF_ERROR(
        add(Column::kMeta, absl::StrCat(pending, user_id, "/")));
  }
  for (const std::string& key : frozen) rows[{Column::kMeta, key}] = "";
  return rows;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> HeldUsers(Store* store) {
  std::vector<std::string> users;
  for (Column column : kUserColumns) {
    // One short scan per user: from the end of the last user's keys to the
    // next key, whose user it names.
    std::string begin;
    while (true) {
      std::string user;
      PORTRAIT_RETURN_IF_ERROR(store->Scan(
          column, begin, "", [&](absl::string_view key, absl::string_view) {
            user = std::string(key.substr(0, key.find('\0')));
            return false;
          }));
      if (user.empty()) break;
      users.push_back(user);
      begin = PrefixEnd(UserPrefix(user));
    }
  }
  std::sort(users.begin(), users.end());
  users.erase(std::unique(users.begin(), users.end()), users.end());
  return users;
}

absl::StatusOr<UserMover> UserMover::Create(Store* from) {
  UserMover mover(from);
  absl::Status parsed;
  const std::string begin = FreezeExpiryBegin();
  PORTRAIT_RETURN_IF_ERROR(from->Scan(
      Column::kMeta, begin, PrefixEnd(begin),
      [&](absl::string_view key, absl::string_view) {
        absl::StatusOr<FreezeExpiryParts> parts = ParseFreezeExpiryKey(key);
        if (!parts.ok()) {
          parsed = parts.status();
          return false;
        }
        mover.frozen_[parts->user_id].emplace_back(key);
        return true;
      }));
  PORTRAIT_RETURN_IF_ERROR(parsed);
  return mover;
}

absl::Status UserMover::Move(absl::Span<const std::string> user_ids,
                             Store* to) {
  WriteBatch copy;
  WriteBatch erase;
  for (const std::string& user_id : user_ids) {
    auto frozen = frozen_.find(user_id);
    const std::vector<std::string> no_keys;
    PORTRAIT_ASSIGN_OR_RETURN(
        auto rows,
        UserRows(from_, user_id,
                 frozen != frozen_.end() ? frozen->second : no_keys));
    // A copy the destination already holds is what an interrupted move
    // wrote, and then equals this one (no store serves meanwhile). Anything
    // else there is data of the user that this move would lose: refuse.
    PORTRAIT_ASSIGN_OR_RETURN(auto there, UserRows(to, user_id, {}));
    for (const auto& [key, value] : there) {
      auto here = rows.find(key);
      if (here == rows.end() || here->second != value) {
        return absl::FailedPreconditionError(absl::StrCat(
            "user ", user_id,
            ": the destination already holds data of the user that the "
            "source does not (",
            ColumnName(key.first),
            " column); the user's data is split between two shards"));
      }
    }
    for (const auto& [key, value] : rows) {
      copy.Put(key.first, key.second, value);
      erase.Delete(key.first, key.second);
    }
  }
  PORTRAIT_RETURN_IF_ERROR(to->Write(copy, /*sync=*/true));
  PORTRAIT_RETURN_IF_ERROR(from_->Write(erase, /*sync=*/true));
  for (const std::string& user_id : user_ids) frozen_.erase(user_id);
  return absl::OkStatus();
}

absl::Status CopySharedState(Store* from, Store* to, int batch_items) {
  for (Column column : {Column::kCatalog, Column::kModels}) {
    WriteBatch batch;
    batch.DeleteRange(column, "", kAllKeysEnd);
    int items = 0;
    absl::Status written;
    PORTRAIT_RETURN_IF_ERROR(from->Scan(
        column, "", "", [&](absl::string_view key, absl::string_view value) {
          batch.Put(column, key, value);
          if (++items < batch_items) return true;
          written = to->Write(batch, /*sync=*/true);
          batch = WriteBatch();
          items = 0;
          return written.ok();
        }));
    PORTRAIT_RETURN_IF_ERROR(written);
    if (!batch.empty()) {
      PORTRAIT_RETURN_IF_ERROR(to->Write(batch, /*sync=*/true));
    }
  }
  return absl::OkStatus();
}

absl::Status CompactUserData(Store* store) {
  for (Column column : kUserColumns) {
    PORTRAIT_RETURN_IF_ERROR(store->CompactRange(column, "", ""));
  }
  return store->CompactRange(Column::kMeta, "", "");
}

}  // namespace portrait
