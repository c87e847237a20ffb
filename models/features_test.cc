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

TEST(GeoTest, CellCentreIsInsideItsCell) {
  const auto [lat, lon] = GeoCellCentre(31.23, 121.47);
  EXPECT_NEAR(lat, 31.25, 1e-9);
  EXPECT_NEAR(lon, 121.45, 1e-9);
  EXPECT_EQ(GeoCell(lat, lon), GeoCell(31.23, 121.47));
  const auto [south, west] = GeoCellCentre(-33.87, -151.21);
  EXPECT_EQ(GeoCell(south, west), GeoCell(-33.87, -151.21));
}

TEST(GeoTest, DistanceMetersMatchesKnownDistances) {
  EXPECT_DOUBLE_EQ(DistanceMeters(31.23, 121.47, 31.23, 121.47), 0);
  // One degree of latitude: 111.19 km on a 6,371 km sphere.
  EXPECT_NEAR(DistanceMeters(31, 121, 32, 121), 111'195, 1);
  // Shanghai to Beijing, about 1,067 km.
  EXPECT_NEAR(DistanceMeters(31.2304, 121.4737, 39.9042, 116.4074), 1'067'000,
              3'000);
}

}  // namespace
}  // namespace portrait
