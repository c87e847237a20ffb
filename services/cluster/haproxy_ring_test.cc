#include "services/cluster/haproxy_ring.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace portrait {
namespace {

// Where Debian 12's HAProxy 2.6.12 sent these x-portrait-user values with
// haproxy_config.py's backend (measured; tests/reshard_test checks many more
// against the running proxy).
TEST(HaproxyRingTest, PlacesUsersWhereHaproxyDid) {
  const std::vector<std::string> users = {"u00",
                                          "u01",
                                          "u02",
                                          "u03",
                                          "u04",
                                          "u05",
                                          "u06",
                                          "u07",
                                          "u08",
                                          "u09",
                                          "u10",
                                          "u11",
                                          "tYgjmUh:Bel31iEl2hpCh",
                                          "nRH9u-cAUs"};
  const std::vector<std::string> three = {"s1", "s1", "s1", "s2", "s0",
                                          "s2", "s0", "s2", "s1", "s0",
                                          "s1", "s2", "s0", "s2"};
  const std::vector<std::string> four = {"s1", "s1", "s1", "s2", "s0",
                                         "s2", "s3", "s2", "s1", "s0",
                                         "s1", "s2", "s3", "s2"};
  const HaproxyRing ring3({"s0", "s1", "s2"});
  const HaproxyRing ring4({"s0", "s1", "s2", "s3"});
  for (size_t i = 0; i < users.size(); ++i) {
    EXPECT_EQ(ring3.ShardOf(users[i]), three[i]) << users[i];
    EXPECT_EQ(ring4.ShardOf(users[i]), four[i]) << users[i];
  }
}

// A shard's place comes from its position, not its name.
TEST(HaproxyRingTest, PositionsNotNamesPlaceUsers) {
  const HaproxyRing named({"s0", "s1", "s2"});
  const HaproxyRing renamed({"a", "b", "c"});
  const std::map<std::string, std::string> rename = {
      {"s0", "a"}, {"s1", "b"}, {"s2", "c"}};
  for (int i = 0; i < 500; ++i) {
    const std::string user = absl::StrCat("user", i);
    EXPECT_EQ(rename.at(named.ShardOf(user)), renamed.ShardOf(user)) << user;
  }
}

// Adding a shard moves users only onto it, and removing the last one moves
// only its users: what makes resharding move about 1/N of them.
TEST(HaproxyRingTest, AddingAShardMovesUsersOnlyToIt) {
  const HaproxyRing before({"s0", "s1", "s2"});
  const HaproxyRing after({"s0", "s1", "s2", "s3"});
  std::map<std::string, int> users_of;
  int moved = 0;
  const int kUsers = 20000;
  for (int i = 0; i < kUsers; ++i) {
    const std::string user = absl::StrCat("user", i);
    const std::string& from = before.ShardOf(user);
    const std::string& to = after.ShardOf(user);
    ++users_of[to];
    if (from != to) {
      EXPECT_EQ(to, "s3") << user << " moved from " << from;
      ++moved;
    }
  }
  EXPECT_EQ(moved, users_of["s3"]);
  // Every shard holds some: 16 points each place a shard's share between
  // about half and twice an even share.
  for (const std::string& shard : after.shards()) {
    EXPECT_GT(users_of[shard], kUsers / 8) << shard;
    EXPECT_LT(users_of[shard], kUsers / 2) << shard;
  }
}

TEST(HaproxyRingTest, OneShardHoldsEveryone) {
  const HaproxyRing ring({"only"});
  EXPECT_EQ(ring.ShardOf("ann"), "only");
  EXPECT_EQ(ring.ShardOf("-"), "only");
}

}  // namespace
}  // namespace portrait
