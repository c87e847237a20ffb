// Today's server opens a database written by an earlier version and
// answers about it exactly as that version did (tests/upgrade/README.md).
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/clock.h"
#include "gtest/gtest.h"
#include "tests/temp_dir.h"
#include "tests/test_server.h"
#include "tests/upgrade/answers.h"

namespace portrait {
namespace {

std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class UpgradeTest : public ::testing::TestWithParam<std::string> {};

TEST_P(UpgradeTest, OpensAnEarlierDatabaseAndAnswersAsItsWriterDid) {
  const std::string fixture = "tests/upgrade/" + GetParam();
  const std::vector<std::string> expected = ReadLines(fixture + "/answers.txt");
  ASSERT_GT(expected.size(), 100u) << "no fixture at " << fixture;
  // A copy: opening a database writes to it.
  TempDir dir;
  std::filesystem::copy(fixture + "/db", dir.path() + "/db");
  FakeClock clock(kUpgradeFixtureNowMs);
  TestServer portrait;
  ASSERT_TRUE(portrait.Start(dir.path() + "/db", &clock));
  ASSERT_TRUE(portrait.server->RunMaintenance().ok());
  const std::vector<std::string> actual = ReadEverything(portrait);
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(actual[i], expected[i]) << "answer " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, UpgradeTest,
                         ::testing::Values("schema1_2026_12"));

}  // namespace
}  // namespace portrait
