#include "services/locking/user_locks.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace portrait {
namespace {

// Many threads lock overlapping user sets in different orders and bump
// unguarded counters; a missing or out-of-order lock shows as a lost update
// or a deadlock (test timeout).
TEST(UserLocksTest, OverlappingSetsExcludeEachOtherWithoutDeadlock) {
  UserLocks locks;
  constexpr int kUsers = 8;
  std::vector<int> counters(kUsers, 0);
  std::vector<std::thread> threads;
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        int a = (t + r) % kUsers;
        int b = (t * 3 + r * 5) % kUsers;
        std::string ua = absl::StrCat("user", a), ub = absl::StrCat("user", b);
        UserLocks::Guard guard = locks.Lock({ub, ua});
        ++counters[a];
        if (b != a) ++counters[b];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  int expected = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int r = 0; r < kRounds; ++r) {
      expected += ((t + r) % kUsers == (t * 3 + r * 5) % kUsers) ? 1 : 2;
    }
  }
  int total = 0;
  for (int c : counters) total += c;
  EXPECT_EQ(total, expected);
}

TEST(UserLocksTest, GuardReleasesOnDestructionAndMove) {
  UserLocks locks;
  {
    UserLocks::Guard outer = locks.Lock("alice");
    UserLocks::Guard moved(std::move(outer));
  }
  // Would deadlock if either guard had leaked or double-released the stripe.
  UserLocks::Guard again = locks.Lock({"alice", "alice"});
  SUCCEED();
}

}  // namespace
}  // namespace portrait
