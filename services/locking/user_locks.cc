#include "services/locking/user_locks.h"

#include <algorithm>
#include <utility>

#include "absl/hash/hash.h"

namespace portrait {

UserLocks::Guard::Guard(UserLocks* locks, std::vector<int> stripes)
    : locks_(locks), stripes_(std::move(stripes)) {}

UserLocks::Guard::Guard(Guard&& other) noexcept
    : locks_(other.locks_), stripes_(std::move(other.stripes_)) {
  other.stripes_.clear();
}

UserLocks::Guard::~Guard() {
  for (auto it = stripes_.rbegin(); it != stripes_.rend(); ++it) {
    locks_->stripes_[*it].Unlock();
  }
}

int UserLocks::StripeOf(absl::string_view user_id) {
  return static_cast<int>(absl::Hash<absl::string_view>()(user_id) % kStripes);
}

UserLocks::Guard UserLocks::Lock(
    const std::vector<absl::string_view>& user_ids) {
  std::vector<int> stripes;
  stripes.reserve(user_ids.size());
  for (absl::string_view user : user_ids) stripes.push_back(StripeOf(user));
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  for (int stripe : stripes) stripes_[stripe].Lock();
  return Guard(this, std::move(stripes));
}

}  // namespace portrait
