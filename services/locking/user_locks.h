// Per-user mutual exclusion for check-then-write sequences: an ingest that
// checks a user's state and then writes, and a consent change for the same
// user, never interleave. Users hash onto a fixed set of stripes; a set of
// users is locked in stripe order, so two callers cannot deadlock.
#ifndef PORTRAIT_SERVICES_LOCKING_USER_LOCKS_H_
#define PORTRAIT_SERVICES_LOCKING_USER_LOCKS_H_

#include <array>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace portrait {

// Thread-safe.
class UserLocks {
 public:
  static constexpr int kStripes = 64;

  // Holds the stripes of some users until destroyed. Movable.
  class Guard {
   public:
    Guard(Guard&& other) noexcept;
    Guard& operator=(Guard&&) = delete;
    ~Guard();

   private:
    friend class UserLocks;
    Guard(UserLocks* locks, std::vector<int> stripes);
    UserLocks* locks_;
    std::vector<int> stripes_;  // Ascending, unique.
  };

  // Blocks until every listed user's stripe is held. (A set of stripes known
  // only at run time, held past the call by the Guard: more than clang's
  // lock analysis can follow, hence unchecked.)
  Guard Lock(const std::vector<absl::string_view>& user_ids)
      ABSL_NO_THREAD_SAFETY_ANALYSIS;
  Guard Lock(absl::string_view user_id) {
    return Lock(std::vector<absl::string_view>{user_id});
  }

 private:
  static int StripeOf(absl::string_view user_id);

  std::array<absl::Mutex, kStripes> stripes_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_LOCKING_USER_LOCKS_H_
