#include "models/ials.h"

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace portrait {
namespace {

// Two communities: users 0-9 use items 0-4, users 10-19 items 5-9, each user
// all but one of their community's items.
std::vector<Interaction> TwoCommunities() {
  std::vector<Interaction> data;
  for (int u = 0; u < 20; ++u) {
    const int base = u < 10 ? 0 : 5;
    for (int i = base; i < base + 5; ++i) {
      if (i - base != u % 5) data.push_back({u, i, 1.0f});
    }
  }
  return data;
}

TEST(IalsTest, SameInputSameBits) {
  IalsOptions options;
  options.factors = 4;
  const auto data = TwoCommunities();
  IalsModel a = IalsModel::Train(20, 10, data, options);
  IalsModel b = IalsModel::Train(20, 10, data, options);
  ASSERT_EQ(a.item_factors().size(), b.item_factors().size());
  EXPECT_EQ(0, std::memcmp(a.item_factors().data(), b.item_factors().data(),
                           sizeof(float) * a.item_factors().size()));
  options.seed = 2;
  IalsModel c = IalsModel::Train(20, 10, data, options);
  EXPECT_NE(0, std::memcmp(a.item_factors().data(), c.item_factors().data(),
                           sizeof(float) * a.item_factors().size()));
}

TEST(IalsTest, RecoversTheHeldOutItemOfTheCommunity) {
  IalsOptions options;
  options.factors = 4;
  options.iterations = 10;
  IalsModel model = IalsModel::Train(20, 10, TwoCommunities(), options);
  for (int u : {0, 3, 12, 17}) {
    const int base = u < 10 ? 0 : 5;
    std::vector<std::pair<int32_t, float>> seen;
    for (int i = base; i < base + 5; ++i) {
      if (i - base != u % 5) seen.emplace_back(i, 1.0f);
    }
    Eigen::VectorXf scores = model.ScoreAll(model.FoldIn(seen));
    // The held-out item of the user's community beats every item of the
    // other community.
    const int held_out = base + u % 5;
    const int other = u < 10 ? 5 : 0;
    for (int i = other; i < other + 5; ++i) {
      EXPECT_GT(scores(held_out), scores(i)) << "user " << u << " item " << i;
    }
  }
}

TEST(IalsTest, NearestItemsAreSortedAndCloserWithinTheCommunity) {
  IalsOptions options;
  options.factors = 2;  // One per community.
  options.iterations = 10;
  IalsModel model = IalsModel::Train(20, 10, TwoCommunities(), options);
  const auto nearest = model.NearestItems(9);
  ASSERT_EQ(nearest.size(), 10u);
  int closer = 0;
  for (int i = 0; i < 10; ++i) {
    double same = 0, other = 0;
    for (size_t k = 0; k < nearest[i].size(); ++k) {
      const auto& [j, similarity] = nearest[i][k];
      EXPECT_NE(j, i);
      EXPECT_GT(similarity, 0);
      if (k > 0) EXPECT_GE(nearest[i][k - 1].second, similarity);
      ((j < 5) == (i < 5) ? same : other) += similarity;
    }
    closer += same > other ? 1 : 0;
  }
  EXPECT_EQ(closer, 10);
  EXPECT_LE(model.NearestItems(2)[0].size(), 2u);
}

TEST(IalsTest, NearestItemsAreTheMostSimilarTiesByIndex) {
  // 300 random items (more than one block of the similarity product), three
  // of them copies of item 3, so that similarities tie exactly.
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  FactorMatrix factors(300, 4);
  for (Eigen::Index i = 0; i < factors.size(); ++i) factors.data()[i] = normal(rng);
  for (int copy : {7, 9, 290}) factors.row(copy) = factors.row(3);
  IalsOptions options;
  options.factors = 4;
  const IalsModel model(factors, options);
  constexpr int kNearest = 6;
  const auto nearest = model.NearestItems(kNearest);
  for (int i = 0; i < 300; ++i) {
    // Brute force in double precision: positive cosines, most similar first,
    // ties by index.
    std::vector<std::pair<double, int>> expected;
    for (int j = 0; j < 300; ++j) {
      const double cosine = factors.row(i).cast<double>().normalized().dot(
          factors.row(j).cast<double>().normalized());
      if (j != i && cosine > 0) expected.emplace_back(-cosine, j);
    }
    std::sort(expected.begin(), expected.end());
    expected.resize(std::min<size_t>(expected.size(), kNearest));
    ASSERT_EQ(nearest[i].size(), expected.size()) << "item " << i;
    for (size_t k = 0; k < expected.size(); ++k) {
      EXPECT_EQ(nearest[i][k].first, expected[k].second) << "item " << i << " rank " << k;
      EXPECT_NEAR(nearest[i][k].second, -expected[k].first, 1e-5);
    }
  }
  // The copies of item 3 are each other's nearest, in index order.
  EXPECT_EQ(nearest[3][0].first, 7);
  EXPECT_EQ(nearest[3][1].first, 9);
  EXPECT_EQ(nearest[3][2].first, 290);
}

TEST(IalsTest, FoldInOfNothingIsZero) {
  IalsOptions options;
  options.factors = 3;
  IalsModel model = IalsModel::Train(20, 10, TwoCommunities(), options);
  EXPECT_EQ(model.FoldIn({}).norm(), 0.0f);
}

}  // namespace
}  // namespace portrait
