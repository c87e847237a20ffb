#include "services/consent/signal_set.h"

#include <vector>

#include "gtest/gtest.h"

namespace portrait {
namespace {

std::vector<v1::Signal> Members(SignalSet set) {
  std::vector<v1::Signal> members;
  set.ForEach([&](v1::Signal s) { members.push_back(s); });
  return members;
}

TEST(SignalSetTest, AddsRemovesAndListsInSignalOrder) {
  SignalSet set;
  EXPECT_TRUE(set.empty());
  set.Add(v1::SEARCH);
  set.Add(v1::LIKE);
  set.Add(v1::LIKE);
  EXPECT_TRUE(set.Contains(v1::LIKE));
  EXPECT_FALSE(set.Contains(v1::FOLLOW));
  EXPECT_EQ(Members(set), (std::vector<v1::Signal>{v1::LIKE, v1::SEARCH}));
  set.Remove(v1::LIKE);
  EXPECT_EQ(Members(set), (std::vector<v1::Signal>{v1::SEARCH}));
  set.Remove(v1::SEARCH);
  EXPECT_TRUE(set.empty());
}

TEST(SignalSetTest, UnionEqualityAndBitsRoundTrip) {
  const SignalSet a = {v1::FOLLOW};
  const SignalSet b = {v1::FRIEND, v1::FOLLOW};
  EXPECT_EQ(a | b, b);
  EXPECT_NE(a, b);
  EXPECT_EQ(SignalSet::FromBits(b.bits()), b);
  // The highest signal fits.
  SignalSet last = {static_cast<v1::Signal>(v1::Signal_MAX)};
  EXPECT_EQ(Members(last),
            (std::vector<v1::Signal>{static_cast<v1::Signal>(v1::Signal_MAX)}));
}

}  // namespace
}  // namespace portrait
