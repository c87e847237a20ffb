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

std::vector<Candidate*> Pointers(std::vector<Candidate>& all) {
  std::vector<Candidate*> out;
  for (Candidate& c : all) out.push_back(&c);
  return out;
}

TEST(BlendTest, NormalisesEachSourceByItsMaximum) {
  std::array<double, kNumSources> weights{};
  weights[1] = 1.0;
  weights[7] = 0.5;
  std::vector<Candidate> c = {Make("a", 1, 10), Make("b", 1, 5),
                              Make("c", 7, 1000)};
  c[1].raw[7] = 500;
  BlendScores(weights, Pointers(c));
  EXPECT_DOUBLE_EQ(c[0].score, 1.0);
  EXPECT_DOUBLE_EQ(c[1].score, 0.5 + 0.25);
  EXPECT_DOUBLE_EQ(c[2].score, 0.5);
}

TEST(BlendTest, RanksByScoreThenKey) {
  std::vector<Candidate> c = {Make("b", 1, 1), Make("a", 1, 1),
                              Make("c", 1, 2)};
  for (Candidate& x : c) x.score = x.raw[1];
  std::vector<Candidate*> candidates = Pointers(c);
  const auto page =
      PickPage(&candidates, {}, 10, 5, [](Candidate*) { return true; });
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0]->key, "c");
  EXPECT_EQ(page[1]->key, "a");
  EXPECT_EQ(page[2]->key, "b");
}

TEST(BlendTest, PageSkipsExcludedAndDemotesBeyondTheCap) {
  std::vector<Candidate> all = {
      Make("p1", 1, 1, "alice"), Make("p2", 1, 1, "alice"),
      Make("p3", 1, 1, "alice"), Make("p4", 1, 1, "bob"), Make("p5", 1, 1)};
  std::vector<Candidate*> candidates = Pointers(all);
  auto admit_all = [](Candidate*) { return true; };
  auto page = PickPage(&candidates, {"p2"}, 3, 2, admit_all);
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0]->key, "p1");
  EXPECT_EQ(page[1]->key, "p3");
  EXPECT_EQ(page[2]->key, "p4");
  page = PickPage(&candidates, {}, 10, 1, admit_all);
  ASSERT_EQ(page.size(), 5u);
  EXPECT_EQ(page[1]->key, "p4");
  EXPECT_EQ(page[2]->key, "p5");
  EXPECT_EQ(page[3]->key, "p2");  // Held back by the cap, not dropped.
  EXPECT_EQ(page[4]->key, "p3");
}

TEST(BlendTest, AdmitIsAskedLazilyInRankOrder) {
  std::vector<Candidate> all = {Make("a", 1, 1), Make("b", 1, 1),
                                Make("c", 1, 1), Make("d", 1, 1)};
  std::vector<std::string> asked;
  std::vector<Candidate*> candidates = Pointers(all);
  auto page = PickPage(&candidates, {}, 2, 5, [&](Candidate* c) {
    asked.push_back(c->key);
    return c->key != "b";
  });
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[1]->key, "c");
  EXPECT_EQ(asked, (std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace portrait
