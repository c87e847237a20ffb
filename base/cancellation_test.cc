#include "base/cancellation.h"

#include "gtest/gtest.h"

namespace portrait {
namespace {

TEST(CancellationTest, NeverFires) {
  EXPECT_TRUE(Cancellation::Never().Check().ok());
}

TEST(CancellationTest, FlagFiresWithItsReasonOnceCancelled) {
  CancellationFlag flag("the server is shutting down");
  EXPECT_TRUE(flag.Check().ok());
  flag.Cancel();
  const absl::Status status = flag.Check();
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(status.message(), "the server is shutting down");
  flag.Cancel();
  EXPECT_EQ(flag.Check().code(), absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace portrait
