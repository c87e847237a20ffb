// UserPortrait::Shares: a friend's taste as shares of their recent items.
#include "services/portrait/user_portrait.h"

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "config/ranking_config.h"
#include "gtest/gtest.h"
#include "services/portrait/test_events.h"

namespace portrait {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;
constexpr int64_t kHour = 3'600'000;

v1::Event BrandFollow(const std::string& user, int64_t at_ms) {
  v1::Event event = PostLike("b", user, 0, at_ms);
  event.set_signal(v1::FAVORITE);
  event.mutable_target()->set_kind(v1::ITEM_BRAND);
  event.mutable_target()->set_id("b1");
  return event;
}

// Each share as EngagedWeight at `at_ms` over their sum, computed directly.
std::vector<std::pair<std::string, double>> Direct(const UserPortrait& user,
                                                   const std::string& prefix,
                                                   int k, int64_t at_ms) {
  const RankingConfig& config = RankingConfig::Shipped();
  std::vector<std::pair<std::string, double>> shares;
  double total = 0;
  for (const std::string* label : user.RecentEngaged(k)) {
    if (label->rfind(prefix, 0) != 0) continue;
    const double weight = user.EngagedWeight(*label, config, at_ms);
    shares.emplace_back(*label, weight);
    total += weight;
  }
  for (auto& [label, share] : shares) share /= total;
  return shares;
}

void ExpectShares(const RecentShares& got,
                  const std::vector<std::pair<std::string, double>>& want) {
  ASSERT_EQ(got.shares.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(*got.shares[i].first, want[i].first);
    EXPECT_NEAR(got.shares[i].second, want[i].second, 1e-12) << want[i].first;
  }
}

TEST(UserPortraitSharesTest, AreTheSharesAtAnyTimeAfterTheNewestEngagement) {
  const RankingConfig& config = RankingConfig::Shipped();
  UserPortrait user;
  for (int i = 0; i < 6; ++i) {
    user.Add(PostLike(absl::StrCat("e", i), "u", i, kNow - i * 50 * kHour),
             config);
  }
  user.Add(BrandFollow("u", kNow - 3 * kHour), config);
  const RecentShares& shares = user.Shares("post:", 5, config);
  EXPECT_EQ(shares.reference_ms, kNow);
  // Of the five most recent items one is the brand: four posts, newest
  // first, with different weights (decay), summing to 1.
  ASSERT_EQ(shares.shares.size(), 4u);
  EXPECT_EQ(*shares.shares[0].first, "post:p0");
  EXPECT_GT(shares.shares[0].second, shares.shares[1].second);
  double sum = 0;
  for (const auto& [label, share] : shares.shares) sum += share;
  EXPECT_NEAR(sum, 1.0, 1e-12);
  for (int64_t later : {kNow, kNow + kHour, kNow + 400 * kHour}) {
    ExpectShares(shares, Direct(user, "post:", 5, later));
  }
  ExpectShares(user.Shares("brand:", 5, config),
               Direct(user, "brand:", 5, kNow));
}

TEST(UserPortraitSharesTest, FollowEveryChangeOfThePortrait) {
  const RankingConfig& config = RankingConfig::Shipped();
  UserPortrait user;
  user.Add(PostLike("e1", "u", 1, kNow - 10 * kHour), config);
  EXPECT_EQ(user.Shares("post:", 50, config).shares.size(), 1u);
  user.Add(PostLike("e2", "u", 2, kNow), config);
  const RecentShares& two = user.Shares("post:", 50, config);
  EXPECT_EQ(two.reference_ms, kNow);
  ExpectShares(two, Direct(user, "post:", 50, kNow));
  user.Drop(v1::LIKE, config);
  EXPECT_TRUE(user.Shares("post:", 50, config).shares.empty());
}

TEST(UserPortraitSharesTest, ConcurrentReadersShareOneResult) {
  const RankingConfig& config = RankingConfig::Shipped();
  UserPortrait user;
  for (int i = 0; i < 60; ++i) {
    user.Add(PostLike(absl::StrCat("e", i), "u", i, kNow - i * kHour), config);
  }
  std::vector<const RecentShares*> seen(8);
  std::vector<std::thread> readers;
  for (int t = 0; t < 8; ++t) {
    readers.emplace_back(
        [&, t] { seen[t] = &user.Shares("post:", 50, config); });
  }
  for (std::thread& reader : readers) reader.join();
  for (const RecentShares* shares : seen) EXPECT_EQ(shares, seen[0]);
  ExpectShares(*seen[0], Direct(user, "post:", 50, kNow));
}

}  // namespace
}  // namespace portrait
