// ChangeLog: which keys changed after a version, for the deltas a shard
// sends its peers (PortraitIndex::OwnChangesSince, docs/SCALING.md). Keys are
// logged in the order they change, each with the version after its change
// (a stamp; stamps never decrease), so the keys changed after version v are
// the tail of the log: finding them costs what changed, not what was ever
// logged. Once every peer serves a version, the entries up to it are no
// longer needed by anyone and are trimmed.
//
// Not thread-safe: the index guards it with its own lock.
#ifndef PORTRAIT_SERVICES_PORTRAIT_CHANGE_LOG_H_
#define PORTRAIT_SERVICES_PORTRAIT_CHANGE_LOG_H_

#include <algorithm>
#include <cstdint>
#include <deque>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace portrait {

template <typename Key>
class ChangeLog {
 public:
  // `key` changed; `stamp` is at least every stamp marked before.
  void Mark(const Key& key, uint64_t stamp) {
    uint64_t& latest = latest_[key];
    if (latest == stamp) return;  // Already logged at this stamp.
    latest = stamp;
    log_.emplace_back(stamp, key);
  }

  // Calls visit(key) once for each key whose last change has a stamp above
  // `since` and was not trimmed, in the order of those last changes.
  template <typename Visit>
  void ForEachSince(uint64_t since, Visit visit) const {
    auto it = std::upper_bound(
        log_.begin(), log_.end(), since,
        [](uint64_t v, const auto& entry) { return v < entry.first; });
    for (; it != log_.end(); ++it) {
      // Only a key's last entry: an earlier one has a later twin.
      if (latest_.at(it->second) == it->first) visit(it->second);
    }
  }

  // Forgets every change with a stamp up to `floor`.
  void TrimThrough(uint64_t floor) {
    while (!log_.empty() && log_.front().first <= floor) {
      const auto& [stamp, key] = log_.front();
      auto latest = latest_.find(key);
      if (latest->second == stamp) latest_.erase(latest);
      log_.pop_front();
    }
  }

  // Entries held, a key's repeated changes counted each.
  size_t size() const { return log_.size(); }

 private:
  std::deque<std::pair<uint64_t, Key>> log_;  // By stamp.
  absl::flat_hash_map<Key, uint64_t> latest_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_PORTRAIT_CHANGE_LOG_H_
