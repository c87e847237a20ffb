#include "models/co_engagement.h"

#include <algorithm>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace portrait {
namespace {

TEST(CoEngagementTest, CountsPairsOfOneUser) {
  CoEngagement co;
  co.Replace({}, {1, 2, 3});
  EXPECT_EQ(co.Count(1), 1);
  EXPECT_EQ(co.Count(1, 2), 1);
  EXPECT_EQ(co.Count(2, 1), 1);
  EXPECT_EQ(co.Count(1, 1), 0);
  EXPECT_EQ(co.NeighboursOf(3).size(), 2u);
  EXPECT_DOUBLE_EQ(co.Similarity(1, 2), 1.0);
}

TEST(CoEngagementTest, ReplaceAppliesOnlyTheDifference) {
  CoEngagement co;
  co.Replace({}, {1, 2, 3});
  co.Replace({}, {2, 3});
  co.Replace({1, 2, 3}, {2, 3, 4});  // User one swaps 1 for 4.
  EXPECT_EQ(co.Count(1), 0);
  EXPECT_EQ(co.Count(2, 3), 2);
  EXPECT_EQ(co.Count(3, 4), 1);
  EXPECT_EQ(co.Count(1, 2), 0);
  EXPECT_TRUE(co.NeighboursOf(1).empty());
  EXPECT_DOUBLE_EQ(co.Similarity(2, 4), 1 / std::sqrt(2.0));
}

// The model's promise: after any sequence of replacements, the counts are
// those of the sets that remain, whatever the order. Checked against counts
// recomputed from scratch, and by removing every set at the end.
TEST(CoEngagementTest, RandomReplacementsEqualRecountAndUndoToNothing) {
  std::mt19937 rng(7);
  constexpr int kUsers = 30, kItems = 25;
  std::vector<std::vector<int32_t>> sets(kUsers);
  CoEngagement co;
  for (int step = 0; step < 2000; ++step) {
    int u = rng() % kUsers;
    std::vector<int32_t> next;
    for (int32_t i = 0; i < kItems; ++i) {
      if (rng() % 5 == 0) next.push_back(i);
    }
    std::shuffle(next.begin(), next.end(), rng);
    co.Replace(sets[u], next);
    sets[u] = next;
  }
  for (int32_t a = 0; a < kItems; ++a) {
    int32_t expected_item = 0;
    for (const auto& s : sets) {
      expected_item += std::count(s.begin(), s.end(), a);
    }
    ASSERT_EQ(co.Count(a), expected_item);
    for (int32_t b = 0; b < kItems; ++b) {
      if (a == b) continue;
      int32_t expected = 0;
      for (const auto& s : sets) {
        expected += std::count(s.begin(), s.end(), a) &&
                    std::count(s.begin(), s.end(), b);
      }
      ASSERT_EQ(co.Count(a, b), expected) << a << "," << b;
    }
  }
  for (auto& s : sets) co.Replace(s, {});
  EXPECT_EQ(co.items(), 0u);
  for (int32_t a = 0; a < kItems; ++a) EXPECT_TRUE(co.NeighboursOf(a).empty());
}

}  // namespace
}  // namespace portrait
