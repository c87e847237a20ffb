#include "services/storage/keys.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_matchers.h"
#include "gtest/gtest.h"
#include "services/storage/store.h"

namespace portrait {
namespace {

TEST(EventKeyTest, RoundTrips) {
  for (int64_t t :
       {int64_t{-5}, int64_t{0}, int64_t{1}, int64_t{1795933801352}}) {
    std::string key = EventKey("user-1", 9, t, "evt:42");
    auto parts = ParseEventKey(key);
    ASSERT_THAT(parts, IsOk());
    EXPECT_EQ(parts->user_id, "user-1");
    EXPECT_EQ(parts->signal, 9);
    EXPECT_EQ(parts->occurred_at_ms, t);
    EXPECT_EQ(parts->event_id, "evt:42");
  }
}

TEST(EventKeyTest, OrdersByUserThenSignalThenTime) {
  std::vector<std::string> keys = {
      EventKey("a", 1, -1, "z"),   EventKey("a", 1, 0, "a"),
      EventKey("a", 1, 255, "a"),  EventKey("a", 1, 256, "a"),
      EventKey("a", 2, -100, "a"), EventKey("ab", 1, 0, "a"),
      EventKey("b", 0, 0, "a"),
  };
  for (size_t i = 1; i < keys.size(); ++i) {
    EXPECT_LT(keys[i - 1], keys[i]) << "at " << i;
  }
}

TEST(EventKeyTest, UserSignalPrefixCoversExactlyThatUsersSignal) {
  std::string begin = UserSignalPrefix("a", 2);
  std::string end = PrefixEnd(begin);
  auto inside = [&](const std::string& k) { return begin <= k && k < end; };
  EXPECT_TRUE(inside(EventKey("a", 2, 0, "x")));
  EXPECT_TRUE(inside(EventKey("a", 2, -7, "x")));
  EXPECT_FALSE(inside(EventKey("a", 1, 0, "x")));
  EXPECT_FALSE(inside(EventKey("a", 3, 0, "x")));
  EXPECT_FALSE(inside(EventKey("ab", 2, 0, "x")));
  EXPECT_FALSE(inside(EventKey("", 2, 0, "x")));
}

TEST(EventKeyTest, MalformedKeysAreDataLoss) {
  EXPECT_THAT(ParseEventKey(""), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ParseEventKey("no-terminator"),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ParseEventKey(std::string("u\0\x01short", 9)),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(CatalogKeyTest, KindComesFirst) {
  EXPECT_LT(CatalogKey(1, "zzz"), CatalogKey(2, "aaa"));
  EXPECT_EQ(CatalogKey(3, "u"), std::string("\x03u"));
}

TEST(LedgerKeyTest, SequencesSortInOrderWithinAUser) {
  EXPECT_LT(LedgerKey("u", 1), LedgerKey("u", 2));
  EXPECT_LT(LedgerKey("u", 255), LedgerKey("u", 256));
  EXPECT_THAT(ParseLedgerSequence(LedgerKey("u", 77)), IsOkAndHolds(77));
  EXPECT_THAT(ParseLedgerSequence("u"), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ReceiptIdTest, RoundTripsAndRejectsForgeries) {
  std::string user;
  int64_t seq = 0;
  ASSERT_THAT(ParseReceiptId(ReceiptId("a:b", 12), &user, &seq), IsOk());
  EXPECT_EQ(user, "a:b");
  EXPECT_EQ(seq, 12);
  // Other spellings of u/7 (found by tools/fuzz: record_decoding) too.
  for (const char* bad :
       {"", "/3", "u/", "u/x", "u/0", "u3", "u/007", "u/+7", "u/ 7", "u/7 "}) {
    EXPECT_THAT(ParseReceiptId(bad, &user, &seq),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

TEST(FreezeExpiryKeyTest, ScanUpToNowFindsExactlyTheDueOnes) {
  std::string due = FreezeExpiryKey(100, "u", 3);
  std::string later = FreezeExpiryKey(101, "u", 3);
  EXPECT_GE(due, FreezeExpiryBegin());
  EXPECT_LT(due, FreezeExpiryEnd(100));
  EXPECT_GE(later, FreezeExpiryEnd(100));
  auto parts = ParseFreezeExpiryKey(due);
  ASSERT_THAT(parts, IsOk());
  EXPECT_EQ(parts->until_ms, 100);
  EXPECT_EQ(parts->user_id, "u");
  EXPECT_EQ(parts->signal, 3);
}

TEST(ConsentKeysTest, AllUnderTheUsersPrefix) {
  std::string prefix = UserPrefix("u");
  for (const std::string& key :
       {ConsentStateKey("u"), ConsentRequestKey("u", "r1"), ReceiptKey("u", 1),
        LedgerKey("u", 1)}) {
    EXPECT_EQ(key.compare(0, prefix.size(), prefix), 0);
  }
  EXPECT_NE(ConsentStateKey("u"), ConsentRequestKey("u", ""));
}

}  // namespace
}  // namespace portrait
