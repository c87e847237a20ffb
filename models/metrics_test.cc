#include "models/metrics.h"

#include <cmath>

#include "gtest/gtest.h"

namespace portrait {
namespace {

// Worked by hand: ranked a b c d e, relevant {b, e, x}, k = 3.
// hits: b at position 1 -> recall 1/3, precision 1/3, hit 1,
// DCG = 1/log2(3), IDCG = 1 + 1/log2(3) + 1/log2(4) = 1 + 0.6309 + 0.5.
TEST(MetricsTest, HandCheckedCase) {
  TopKMetrics m = UserMetrics({"a", "b", "c", "d", "e"}, {"b", "e", "x"}, 3);
  EXPECT_DOUBLE_EQ(m.recall, 1.0 / 3);
  EXPECT_DOUBLE_EQ(m.precision, 1.0 / 3);
  EXPECT_DOUBLE_EQ(m.hit, 1.0);
  EXPECT_NEAR(m.ndcg, 0.63093 / 2.13093, 1e-5);
}

TEST(MetricsTest, PerfectAndEmptyRankings) {
  TopKMetrics perfect = UserMetrics({"x", "y"}, {"x", "y"}, 10);
  EXPECT_DOUBLE_EQ(perfect.recall, 1.0);
  EXPECT_DOUBLE_EQ(perfect.ndcg, 1.0);
  EXPECT_DOUBLE_EQ(perfect.precision, 0.2);
  TopKMetrics none = UserMetrics({}, {"x"}, 10);
  EXPECT_EQ(none.recall, 0);
  EXPECT_EQ(none.hit, 0);
  EXPECT_EQ(none.ndcg, 0);
}

TEST(MetricsTest, OnlyTheFirstKCount) {
  TopKMetrics m = UserMetrics({"a", "b", "c"}, {"c"}, 2);
  EXPECT_EQ(m.hit, 0);
  m = UserMetrics({"a", "b", "c"}, {"c"}, 3);
  EXPECT_DOUBLE_EQ(m.ndcg, 1.0 / 2);  // 1/log2(4) over IDCG 1.
}

TEST(MetricsTest, MeanOverUsers) {
  MetricsMean mean;
  mean.Add(UserMetrics({"a"}, {"a"}, 1));
  mean.Add(UserMetrics({"b"}, {"a"}, 1));
  EXPECT_EQ(mean.users(), 2);
  EXPECT_DOUBLE_EQ(mean.Mean().recall, 0.5);
  EXPECT_DOUBLE_EQ(mean.Mean().hit, 0.5);
}

}  // namespace
}  // namespace portrait
