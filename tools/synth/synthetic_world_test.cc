#include "tools/synth/synthetic_world.h"

#include <map>
#include <string>

#include "gtest/gtest.h"
#include "services/ingest/validation.h"

namespace portrait {
namespace {

SyntheticWorld::Options Small() {
  SyntheticWorld::Options options;
  options.users = 300;
  options.posts = 200;
  options.brands = 20;
  options.events = 5000;
  options.community_size = 50;
  return options;
}

TEST(SyntheticWorldTest, SameSeedSameWorld) {
  SyntheticWorld a(Small()), b(Small());
  std::string first, second;
  a.Events(500, [&](const auto& batch) {
    for (const auto& e : batch) first += e.SerializeAsString();
  });
  b.Events(500, [&](const auto& batch) {
    for (const auto& e : batch) second += e.SerializeAsString();
  });
  EXPECT_EQ(first, second);
}

TEST(SyntheticWorldTest, EverythingIsValidAndActivityIsSkewed) {
  SyntheticWorld world(Small());
  for (const auto& batch : world.Catalog()) {
    EXPECT_TRUE(ValidateItems(batch.items(), Small().now_ms).ok());
  }
  std::map<std::string, int> per_user;
  std::map<int, int> per_signal;
  int64_t total = 0, last_ms = 0;
  world.Events(500, [&](const std::vector<v1::Event>& batch) {
    google::protobuf::RepeatedPtrField<v1::Event> events(batch.begin(),
                                                         batch.end());
    absl::Status valid = ValidateEvents(events, Small().now_ms);
    EXPECT_TRUE(valid.ok()) << valid;
    for (const v1::Event& e : batch) {
      EXPECT_FALSE(CheckEventShape(e).has_value()) << e.ShortDebugString();
      EXPECT_GE(e.occurred_at_ms(), last_ms);
      last_ms = e.occurred_at_ms();
      ++per_user[e.user_id()];
      ++per_signal[e.signal()];
      ++total;
    }
  });
  EXPECT_EQ(total, 5000);
  // Power law: the most active user does far more than the median one.
  EXPECT_GT(per_user["user0"], 5 * per_user["user150"]);
  for (v1::Signal s : {v1::LIKE, v1::BROWSE, v1::FOLLOW, v1::FRIEND, v1::SEARCH,
                       v1::LOCATION, v1::PROFILE_ATTRIBUTES}) {
    EXPECT_GT(per_signal[s], 0) << v1::Signal_Name(s);
  }
  EXPECT_FALSE(world.OptIns().empty());
}

}  // namespace
}  // namespace portrait
