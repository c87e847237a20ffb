// PortraitIndex's cached rankings.
#include "services/portrait/portrait_index.h"
#include "services/portrait/test_events.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "gtest/gtest.h"
#include "services/consent/policy.h"
#include "services/consent/shipped_policy.h"
#include "config/ranking_config.h"
#include "services/storage/memory_store.h"

namespace portrait {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;

TEST(PortraitIndexTest, TopByCountIsCachedPerLength) {
  MemoryStore store;
  FakeClock clock(kNow);
  const ConsentPolicy policy = *ConsentPolicy::FromText(kShippedConsentPolicy);
  PortraitIndex index(&store, &clock, &policy, &RankingConfig::Shipped());
  // Post pN is liked by N users.
  int id = 0;
  for (int post = 1; post <= 4; ++post) {
    for (int user = 0; user < post; ++user) {
      const v1::Event event =
          PostLike(absl::StrCat("e", id++), absl::StrCat("u", user), post, kNow - 1000);
      ASSERT_TRUE(index.OnEventsStored({&event}).ok());
    }
  }
  index.Read([&](const IndexState& state) {
    const auto one = index.TopByCount(state, "post", 1);
    ASSERT_EQ(one->size(), 1u);
    EXPECT_EQ((*one)[0], std::make_pair(std::string("post:p4"), 4));
    const auto three = index.TopByCount(state, "post", 3);
    ASSERT_EQ(three->size(), 3u);
    EXPECT_EQ((*three)[2], std::make_pair(std::string("post:p2"), 2));
    EXPECT_EQ(index.TopByCount(state, "post", 1)->size(), 1u);
  });
}

}  // namespace
}  // namespace portrait
