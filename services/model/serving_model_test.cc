#include "services/model/serving_model.h"

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/consent/signal_set.h"
#include "services/portrait/test_events.h"

namespace portrait {
namespace {

constexpr int kPosts = 40;
constexpr int kBrands = 5;
constexpr int64_t kNow = 1'790'000'000'000;

// A version over brands b0..b4 and posts p0..p39 with random factors.
std::unique_ptr<ServingModel> RandomVersion() {
  std::vector<std::string> labels;
  for (int b = 0; b < kBrands; ++b)
    labels.push_back(absl::StrCat("brand:b", b));
  for (int p = 0; p < kPosts; ++p) labels.push_back(absl::StrCat("post:p", p));
  std::sort(labels.begin(), labels.end());
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  FactorMatrix factors(labels.size(), 6);
  for (Eigen::Index i = 0; i < factors.size(); ++i)
    factors.data()[i] = normal(rng);
  IalsOptions options = RankingConfig::Shipped().model_options();
  options.factors = 6;
  std::unique_ptr<ServingModel> version(new ServingModel{
      storage::ModelRecord(), labels, {}, {}, IalsModel(factors, options)});
  for (size_t i = 0; i < labels.size(); ++i) {
    version->item_index[labels[i]] = static_cast<int32_t>(i);
    version->item_kinds.push_back(LabelKind(labels[i]));
  }
  return version;
}

// TopItems computed directly, as Top must give.
ScoredRows Direct(const ServingModel& version, const ModelInput& input,
                  size_t n) {
  const ServingModel::Rows rows = version.RowsOf(v1::ITEM_POST);
  return version.model.TopItems(version.model.FoldIn(input.seen), rows.begin,
                                rows.end, n, input.engaged);
}

TEST(ServingModelTest, KindsAreContiguousRows) {
  const auto version = RandomVersion();
  const ServingModel::Rows brands = version->RowsOf(v1::ITEM_BRAND);
  const ServingModel::Rows posts = version->RowsOf(v1::ITEM_POST);
  EXPECT_EQ(brands.begin, 0);
  EXPECT_EQ(brands.end, kBrands);
  EXPECT_EQ(posts.begin, kBrands);
  EXPECT_EQ(posts.end, kBrands + kPosts);
  const ServingModel::Rows people = version->RowsOf(v1::ITEM_USER);
  EXPECT_EQ(people.begin, people.end);
}

TEST(ServingModelTest, TopIsMemoisedPerExactInput) {
  const auto version = RandomVersion();
  const RankingConfig& config = RankingConfig::Shipped();
  UserPortrait user;
  for (int p : {1, 4, 9}) {
    user.Add(PostLike(absl::StrCat("e", p), "u", p, kNow), config);
  }
  user.Add(PostLike("unknown", "u", 999, kNow), config);  // Not in the version.
  const ModelInput input = version->InputOf(user, config);
  ASSERT_EQ(input.seen.size(), 3u);
  EXPECT_EQ(input.engaged.size(), 3u);
  EXPECT_EQ(input.signals, SignalSet{v1::LIKE});

  const UserTop first = version->TopFor("u", user, config, v1::ITEM_POST, 10);
  EXPECT_EQ(*first.rows, Direct(*version, input, 10));
  EXPECT_EQ(first.signals, SignalSet{v1::LIKE});
  for (const auto& [row, score] : *first.rows) {
    EXPECT_EQ(std::count(input.engaged.begin(), input.engaged.end(), row), 0);
  }
  // The same portrait again: the memoised list itself.
  EXPECT_EQ(version->TopFor("u", user, config, v1::ITEM_POST, 10).rows,
            first.rows);
  EXPECT_EQ(version->memo.size(), 1u);
  // Another length, another user, another kind: computed afresh.
  EXPECT_EQ(*version->TopFor("u", user, config, v1::ITEM_POST, 5).rows,
            Direct(*version, input, 5));
  EXPECT_NE(version->TopFor("v", user, config, v1::ITEM_POST, 10).rows,
            first.rows);
  EXPECT_NE(version->TopFor("v", user, config, v1::ITEM_BRAND, 10).rows,
            first.rows);

  // A change that leaves the input as it was (an item the version does not
  // know): a new revision, the same list.
  const UserTop at_ten = version->TopFor("u", user, config, v1::ITEM_POST, 10);
  const uint64_t before = user.revision();
  user.Add(PostLike("unknown2", "u", 998, kNow), config);
  EXPECT_NE(user.revision(), before);
  ASSERT_TRUE(version->InputOf(user, config) == input);
  EXPECT_EQ(version->TopFor("u", user, config, v1::ITEM_POST, 10).rows,
            at_ten.rows);

  // New data changes the input: never the old list.
  user.Add(PostLike("e20", "u", 20, kNow), config);
  const ModelInput changed = version->InputOf(user, config);
  ASSERT_FALSE(changed == input);
  const UserTop second = version->TopFor("u", user, config, v1::ITEM_POST, 10);
  EXPECT_NE(second.rows, at_ten.rows);
  EXPECT_EQ(*second.rows, Direct(*version, changed, 10));
  // Revoked data (the block dropped): no input, no list.
  user.Drop(v1::LIKE, config);
  EXPECT_TRUE(version->InputOf(user, config).seen.empty());
  const UserTop revoked = version->TopFor("u", user, config, v1::ITEM_POST, 10);
  EXPECT_TRUE(revoked.rows->empty());
  EXPECT_TRUE(revoked.signals.empty());
}

TEST(ServingModelTest, EveryPortraitStateHasItsOwnRevision) {
  const RankingConfig& config = RankingConfig::Shipped();
  UserPortrait a, b;
  EXPECT_NE(a.revision(), b.revision());
  const uint64_t first = a.revision();
  a.Add(PostLike("e1", "a", 1, kNow), config);
  EXPECT_NE(a.revision(), first);
  const uint64_t second = a.revision();
  a.Drop(v1::LIKE, config);
  EXPECT_NE(a.revision(), second);
  EXPECT_NE(a.revision(), first);
  const uint64_t third = a.revision();
  a.Drop(v1::LIKE, config);  // Nothing to drop: no change.
  EXPECT_EQ(a.revision(), third);
}

}  // namespace
}  // namespace portrait
