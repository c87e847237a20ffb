#include "models/features.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace portrait {
namespace {

using ::testing::ElementsAre;

TEST(QueryTermsTest, LowercasesSplitsAndDeduplicates) {
  EXPECT_THAT(QueryTerms("Red  shoes, RED boots!"),
              ElementsAre("red", "shoes", "boots"));
  EXPECT_THAT(QueryTerms("  "), ElementsAre());
  EXPECT_THAT(QueryTerms("运动鞋 nike"), ElementsAre("运动鞋", "nike"));
  EXPECT_THAT(QueryTerms(std::string(33, 'a') + " ok"), ElementsAre("ok"));
}

TEST(GeoCellTest, FloorsToTenthsOfADegree) {
  EXPECT_EQ(GeoCell(31.23, 121.47), "312,1214");
  EXPECT_EQ(GeoCell(-33.87, 151.21), "-339,1512");
  EXPECT_EQ(GeoCell(0.0, -0.01), "0,-1");
}

}  // namespace
}  // namespace portrait
