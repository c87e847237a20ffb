#include "models/ials.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <random>
#include <tuple>
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

// The brute force TopItems must equal: every row scored in float, best
// first, ties by lower row.
std::vector<std::pair<int32_t, float>> BruteTop(
    const IalsModel& model, const Eigen::VectorXf& user, int32_t begin,
    int32_t end, size_t n, const std::vector<int32_t>& excluded) {
  std::vector<std::pair<int32_t, float>> all;
  for (int32_t r = begin; r < end; ++r) {
    if (std::find(excluded.begin(), excluded.end(), r) != excluded.end())
      continue;
    all.emplace_back(r, model.Score(user, r));
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return a.first < b.first;
  });
  if (all.size() > n) all.resize(n);
  return all;
}

TEST(IalsTest, TopItemsEqualsScoringEveryItem) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  for (int factors : {3, 16, 64, 128}) {
    FactorMatrix items(700, factors);
    for (Eigen::Index i = 0; i < items.size(); ++i)
      items.data()[i] = normal(rng);
    // Exact ties: copies of row 3; and rows that score zero.
    for (int copy : {7, 9, 290, 650}) items.row(copy) = items.row(3);
    items.row(11).setZero();
    items.row(12).setZero();
    IalsOptions options;
    options.factors = factors;
    const IalsModel model(items, options);
    for (int trial = 0; trial < 12; ++trial) {
      Eigen::VectorXf user(factors);
      for (int f = 0; f < factors; ++f) user(f) = normal(rng);
      if (trial == 0) user = items.row(3).transpose();  // The copies lead.
      if (trial == 1) user.setZero();                   // Everything ties.
      const std::vector<int32_t> excluded = {3, 5, 650, 699};
      for (auto [begin, end, n] :
           {std::tuple<int32_t, int32_t, size_t>{0, 700, 10},
            {0, 700, 60},
            {100, 333, 25},
            {0, 700, 0},
            {690, 700, 50},
            {0, 700, 700}}) {
        EXPECT_EQ(model.TopItems(user, begin, end, n, excluded),
                  BruteTop(model, user, begin, end, n, excluded))
            << "factors " << factors << " trial " << trial << " rows " << begin
            << "-" << end << " n " << n;
      }
    }
  }
}

TEST(IalsTest, TrainingThroughAParallelForGivesTheSameBits) {
  IalsOptions options;
  options.factors = 6;
  options.cg_steps = 3;
  const auto data = TwoCommunities();
  const IalsModel serial = IalsModel::Train(20, 10, data, options);
  // Ranges in reverse order, one row at a time.
  const ParallelFor backwards =
      [](int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
        for (int64_t i = n - 1; i >= 0; --i) fn(i, i + 1);
      };
  const IalsModel parallel = IalsModel::Train(20, 10, data, options, backwards);
  EXPECT_EQ(0, std::memcmp(serial.item_factors().data(),
                           parallel.item_factors().data(),
                           sizeof(float) * serial.item_factors().size()));
}

TEST(IalsTest, ConjugateGradientApproachesTheExactSolves) {
  // Random data; CG with enough steps lands on the exact solution of each
  // step, so the trained factors agree.
  std::mt19937 rng(3);
  std::vector<Interaction> data;
  for (int u = 0; u < 60; ++u) {
    for (int i = 0; i < 40; ++i) {
      if (rng() % 4 == 0) data.push_back({u, i, 1.0f + rng() % 5});
    }
  }
  IalsOptions options;
  options.factors = 5;
  options.iterations = 4;
  options.regularization = 1.0f;
  options.alpha = 1.0f;
  const IalsModel exact = IalsModel::Train(60, 40, data, options);
  options.cg_steps = 20;
  const IalsModel cg = IalsModel::Train(60, 40, data, options);
  EXPECT_LT((exact.item_factors() - cg.item_factors()).norm(),
            1e-3 * exact.item_factors().norm());
  options.cg_steps = 1;
  const IalsModel rough = IalsModel::Train(60, 40, data, options);
  EXPECT_GT((exact.item_factors() - rough.item_factors()).norm(),
            1e-3 * exact.item_factors().norm());
}

TEST(IalsTest, ConfidenceAndRegularizationShapeTheSolve) {
  // One user, one item seen with weight w: the fold-in solves
  // (G + lambda I + (c - 1) o o^T) x = c o; with G = o o^T for a one-item
  // model that is x = c o / (c |o|^2 + lambda) in the direction of o.
  FactorMatrix items(1, 2);
  items << 3.0f, 4.0f;  // |o|^2 = 25
  IalsOptions options;
  options.factors = 2;
  options.alpha = 2.0f;
  options.regularization = 5.0f;
  const float w = 3.0f;
  auto solved = [&](const IalsOptions& o, float c, float lambda) {
    const IalsModel model(items, o);
    const Eigen::VectorXf x = model.FoldIn({{0, w}});
    const float expected = c / (c * 25 + lambda);
    EXPECT_NEAR(x(0), 3 * expected, 1e-5);
    EXPECT_NEAR(x(1), 4 * expected, 1e-5);
  };
  solved(options, 1 + 2 * w, 5);
  options.confidence = IalsConfidence::kLog;
  solved(options, 1 + 2 * std::log1p(w), 5);
  options.regularization_exponent = 1.0f;  // lambda (1 + n) with n = 1
  solved(options, 1 + 2 * std::log1p(w), 10);
}

// Trains on `data` split between users [0, split) and [split, users), as
// two shards of a cluster would: each solves its users against the item
// factors and sums them per item; the added sums solve the items (exact),
// or the added products of each direction step them (conjugate gradient).
FactorMatrix TrainSplit(int users, int items,
                        const std::vector<Interaction>& data, int split,
                        const IalsOptions& options) {
  struct Part {
    IalsRows by_user, by_item;
    FactorMatrix factors;
  };
  std::vector<Part> parts(2);
  const int sizes[2] = {split, users - split};
  for (int p = 0; p < 2; ++p) {
    parts[p].by_user.resize(sizes[p]);
    parts[p].by_item.resize(items);
    parts[p].factors = FactorMatrix::Zero(sizes[p], options.factors);
  }
  for (const Interaction& x : data) {
    const int p = x.user < split ? 0 : 1;
    const int row = x.user - (p == 0 ? 0 : split);
    parts[p].by_user[row].emplace_back(x.item, x.weight);
    parts[p].by_item[x.item].emplace_back(row, x.weight);
  }
  FactorMatrix item_factors = InitialItemFactors(items, options);
  const int k = options.factors;
  for (int it = 0; it < options.iterations; ++it) {
    const Eigen::MatrixXf gram = item_factors.transpose() * item_factors;
    ItemSums total(items, k);
    for (Part& part : parts) {
      SolveRows(part.by_user, item_factors, gram, options, RunSerially,
                &part.factors);
      total.Add(SumItems(part.by_item, part.factors, options, RunSerially));
    }
    if (options.cg_steps == 0) {
      SolveItems(total, options, RunSerially, &item_factors);
      continue;
    }
    // Conjugate gradient: products of the factors, then of each direction.
    FactorMatrix rhs = FactorMatrix::Zero(items, k), part_rhs;
    FactorMatrix products = FactorMatrix::Zero(items, k);
    for (Part& part : parts) {
      products += ItemProducts(part.by_item, part.factors, item_factors,
                               options, RunSerially, &part_rhs);
      rhs += part_rhs;
    }
    ItemConjugateGradient cg(options, item_factors, total.observations,
                             total.gram, rhs, products);
    for (int step = 0; step < options.cg_steps; ++step) {
      products.setZero();
      for (Part& part : parts) {
        products += ItemProducts(part.by_item, part.factors, cg.directions(),
                                 options, RunSerially);
      }
      cg.Step(products);
    }
    item_factors = cg.items();
  }
  return item_factors;
}

TEST(IalsTest, TrainingSplitOverUsersMatchesOneTraining) {
  std::mt19937 rng(5);
  std::vector<Interaction> data;
  for (int u = 0; u < 50; ++u) {
    for (int i = 0; i < 30; ++i) {
      if (rng() % 4 == 0) data.push_back({u, i, 1.0f + rng() % 5});
    }
  }
  IalsOptions options;
  options.factors = 6;
  options.iterations = 5;
  options.regularization = 0.5f;
  options.regularization_exponent = 0.75f;
  options.confidence = IalsConfidence::kLog;
  for (int cg_steps : {0, 3}) {
    options.cg_steps = cg_steps;
    const IalsModel one = IalsModel::Train(50, 30, data, options);
    const FactorMatrix split = TrainSplit(50, 30, data, 20, options);
    EXPECT_LT((one.item_factors() - split).norm(),
              1e-4 * one.item_factors().norm())
        << "cg_steps " << cg_steps;
    // Not by accident: another regularization trains other factors.
    IalsOptions other = options;
    other.regularization_exponent = 0;
    EXPECT_GT((one.item_factors() - TrainSplit(50, 30, data, 20, other)).norm(),
              1e-2 * one.item_factors().norm())
        << "cg_steps " << cg_steps;
  }
}

TEST(IalsTest, ItemSumsAddUp) {
  FactorMatrix users(3, 2);
  users << 1, 2, 3, 4, 5, 6;
  IalsOptions options;
  options.factors = 2;
  options.alpha = 1.0f;  // c = 1 + w
  // Item 0: users 0 (w 1) and 2 (w 3); item 1: nobody.
  const IalsRows by_item = {{{0, 1.0f}, {2, 3.0f}}, {}};
  const ItemSums sums = SumItems(by_item, users, options, RunSerially);
  EXPECT_EQ(sums.observations, (std::vector<int32_t>{2, 0}));
  // (c-1) x x^T: 1*(1,2)(1,2)^T + 3*(5,6)(5,6)^T = [[76, 92], [92, 112]];
  // c x: 2*(1,2) + 4*(5,6) = (22, 28).
  EXPECT_EQ(ItemSums::Width(2), 5);
  const std::vector<float> expected = {76, 92, 112, 22, 28};
  for (int f = 0; f < 5; ++f) {
    EXPECT_FLOAT_EQ(sums.sums(0, f), expected[f]) << f;
    EXPECT_EQ(sums.sums(1, f), 0.0f) << f;
  }
  // x^T x of all three users, the one without items included.
  EXPECT_FLOAT_EQ(sums.gram(0, 0), 1 + 9 + 25);
  EXPECT_FLOAT_EQ(sums.gram(0, 1), 2 + 12 + 30);
  ItemSums twice = sums;
  twice.Add(sums);
  EXPECT_EQ(twice.observations, (std::vector<int32_t>{4, 0}));
  EXPECT_FLOAT_EQ(twice.sums(0, 4), 56);
  EXPECT_FLOAT_EQ(twice.gram(1, 1), 2 * (4 + 16 + 36));
}

TEST(IalsTest, FoldInOfNothingIsZero) {
  IalsOptions options;
  options.factors = 3;
  IalsModel model = IalsModel::Train(20, 10, TwoCommunities(), options);
  EXPECT_EQ(model.FoldIn({}).norm(), 0.0f);
}

}  // namespace
}  // namespace portrait
