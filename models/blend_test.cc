#include "models/blend.h"

#include <vector>

#include "gtest/gtest.h"

namespace portrait {
namespace {

Candidate Make(const std::string& key, int source, double raw,
               const std::string& author = "") {
  Candidate c;
  c.key = key;
  c.author_group = author;
  c.raw[source] = raw;
  return c;
}

TEST(BlendTest, NormalisesEachSourceByItsMaximum) {
  std::array<double, kNumSources> weights{};
  weights[1] = 1.0;
  weights[7] = 0.5;
  std::vector<Candidate> c = {Make("a", 1, 10), Make("b", 1, 5), Make("c", 7, 1000)};
  c[1].raw[7] = 500;
  BlendScores(weights, &c);
  EXPECT_DOUBLE_EQ(c[0].score, 1.0);
  EXPECT_DOUBLE_EQ(c[1].score, 0.5 + 0.25);
  EXPECT_DOUBLE_EQ(c[2].score, 0.5);
}

TEST(BlendTest, RanksByScoreThenKey) {
  std::vector<Candidate> c = {Make("b", 1, 1), Make("a", 1, 1), Make("c", 1, 2)};
  for (Candidate& x : c) x.score = x.raw[1];
  RankCandidates(&c);
  EXPECT_EQ(c[0].key, "c");
  EXPECT_EQ(c[1].key, "a");
  EXPECT_EQ(c[2].key, "b");
}

TEST(BlendTest, PageSkipsExcludedAndDemotesBeyondTheCap) {
  std::vector<Candidate> ranked = {Make("p1", 1, 1, "alice"), Make("p2", 1, 1, "alice"),
                                   Make("p3", 1, 1, "alice"), Make("p4", 1, 1, "bob"),
                                   Make("p5", 1, 1)};
  auto page = PickPage(ranked, {"p2"}, 3, 2);
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0]->key, "p1");
  EXPECT_EQ(page[1]->key, "p3");
  EXPECT_EQ(page[2]->key, "p4");
  page = PickPage(ranked, {}, 10, 1);
  ASSERT_EQ(page.size(), 5u);
  EXPECT_EQ(page[1]->key, "p4");
  EXPECT_EQ(page[2]->key, "p5");
  EXPECT_EQ(page[3]->key, "p2");  // Held back by the cap, not dropped.
  EXPECT_EQ(page[4]->key, "p3");
}

}  // namespace
}  // namespace portrait
