#include "tools/eval/dataset.h"

#include <map>
#include <set>

#include "base/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/temp_dir.h"

namespace portrait {
namespace {

using ::testing::HasSubstr;

TEST(DatasetTest, ReadsMovieLens) {
  TempDir dir;
  const std::string path = dir.path() + "/u.data";
  ASSERT_TRUE(
      WriteFile(path, "196\t242\t3\t881250949\n186\t302\t3\t891717742\n"));
  auto data = LoadMovieLens(path);
  ASSERT_THAT(data, IsOk());
  ASSERT_EQ(data->interactions.size(), 2u);
  EXPECT_EQ(data->interactions[0].user, "196");
  EXPECT_EQ(data->interactions[0].item, "242");
  EXPECT_EQ(data->interactions[0].weight, 3);
  EXPECT_EQ(data->interactions[1].order, 891717742);
  ASSERT_TRUE(WriteFile(path, "196\t242\t3\n"));
  EXPECT_THAT(LoadMovieLens(path), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("line 1")));
  EXPECT_THAT(LoadMovieLens(dir.path() + "/none"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(DatasetTest, ReadsLastfmWithHeaders) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(
      dir.path() + "/ua.dat",
      "userID\tartistID\tweight\r\n2\t51\t13883\r\n2\t52\t11690\r\n"));
  ASSERT_TRUE(WriteFile(dir.path() + "/uf.dat", "userID\tfriendID\n2\t275\n"));
  auto data = LoadLastfm(dir.path() + "/ua.dat", dir.path() + "/uf.dat");
  ASSERT_THAT(data, IsOk());
  ASSERT_EQ(data->interactions.size(), 2u);
  EXPECT_EQ(data->interactions[1].weight, 11690);
  ASSERT_EQ(data->friendships.size(), 1u);
  EXPECT_EQ(data->friendships[0].second, "275");
  ASSERT_TRUE(WriteFile(dir.path() + "/ua.dat", "h\n2\t51\t-1\n"));
  EXPECT_THAT(
      LoadLastfm(dir.path() + "/ua.dat", ""),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2")));
}

TEST(DatasetTest, SplitIsSeededDisjointAndRoughly801010) {
  std::vector<DatasetInteraction> all;
  for (int u = 0; u < 20; ++u) {
    for (int i = 0; i < 20; ++i) {
      all.push_back({std::to_string(u), std::to_string(i), 1, i});
    }
  }
  all.push_back({"tiny", "x", 1, 0});
  Split a = SplitPerUser(all, 7), b = SplitPerUser(all, 7),
        c = SplitPerUser(all, 8);
  EXPECT_EQ(a.train.size(), 20u * 16 + 1);
  EXPECT_EQ(a.valid.size(), 20u * 2);
  EXPECT_EQ(a.test.size(), 20u * 2);
  auto key = [](const DatasetInteraction& x) { return x.user + "/" + x.item; };
  std::set<std::string> seen;
  for (const auto* part : {&a.train, &a.valid, &a.test}) {
    for (const auto& x : *part) EXPECT_TRUE(seen.insert(key(x)).second);
  }
  EXPECT_EQ(seen.size(), all.size());
  for (size_t i = 0; i < a.test.size(); ++i)
    EXPECT_EQ(key(a.test[i]), key(b.test[i]));
  bool differs = false;
  for (size_t i = 0; i < a.test.size(); ++i)
    differs |= key(a.test[i]) != key(c.test[i]);
  EXPECT_TRUE(differs);
}

}  // namespace
}  // namespace portrait
