#include "models/affinity.h"

#include "gtest/gtest.h"

namespace portrait {
namespace {

TEST(AffinityTest, OrderOfEventsDoesNotMatter) {
  Affinity a, b;
  a.Add(WeightMilli(1.5), 100);
  a.Add(WeightMilli(0), 50);
  b.Add(WeightMilli(0), 50);
  b.Add(WeightMilli(1.5), 100);
  EXPECT_EQ(a.events, 2);
  EXPECT_EQ(a.weight_milli, 2500);
  EXPECT_EQ(a.first_ms, b.first_ms);
  EXPECT_EQ(a.last_ms, 100);
  EXPECT_EQ(a.weight_milli, b.weight_milli);
}

TEST(AffinityTest, DecayHalvesPerHalfLife) {
  Affinity a;
  a.Add(2000, 1000);
  EXPECT_DOUBLE_EQ(a.Decayed(1000, 100), 2.0);
  EXPECT_DOUBLE_EQ(a.Decayed(1100, 100), 1.0);
  EXPECT_DOUBLE_EQ(a.Decayed(900, 100), 2.0);  // Future: no boost.
  EXPECT_EQ(Affinity().Decayed(0, 100), 0);
}

}  // namespace
}  // namespace portrait
