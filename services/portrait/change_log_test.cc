#include "services/portrait/change_log.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace portrait {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Since(const ChangeLog<std::string>& log,
                               uint64_t since) {
  std::vector<std::string> keys;
  log.ForEachSince(since, [&](const std::string& key) { keys.push_back(key); });
  return keys;
}

TEST(ChangeLogTest, GivesEachKeyChangedAfterAVersionOnce) {
  ChangeLog<std::string> log;
  log.Mark("a", 1);
  log.Mark("b", 2);
  log.Mark("a", 3);
  log.Mark("c", 3);
  log.Mark("c", 3);  // Twice at one stamp: one entry.
  EXPECT_EQ(log.size(), 4u);
  EXPECT_THAT(Since(log, 0), ElementsAre("b", "a", "c"));
  EXPECT_THAT(Since(log, 1), ElementsAre("b", "a", "c"));
  EXPECT_THAT(Since(log, 2), ElementsAre("a", "c"));
  EXPECT_THAT(Since(log, 3), IsEmpty());
}

TEST(ChangeLogTest, TrimmingKeepsWhatChangedAfterTheFloor) {
  ChangeLog<std::string> log;
  log.Mark("a", 1);
  log.Mark("b", 2);
  log.Mark("a", 3);
  log.Mark("d", 4);
  log.TrimThrough(2);
  EXPECT_EQ(log.size(), 2u);
  EXPECT_THAT(Since(log, 2), ElementsAre("a", "d"));
  log.TrimThrough(3);
  EXPECT_THAT(Since(log, 3), ElementsAre("d"));
  // A key trimmed away is logged again when it changes again.
  log.Mark("b", 5);
  EXPECT_THAT(Since(log, 3), ElementsAre("d", "b"));
  log.TrimThrough(9);
  EXPECT_EQ(log.size(), 0u);
  EXPECT_THAT(Since(log, 0), IsEmpty());
  log.Mark("a", 10);
  EXPECT_THAT(Since(log, 9), ElementsAre("a"));
}

}  // namespace
}  // namespace portrait
