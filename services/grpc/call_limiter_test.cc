#include "services/grpc/call_limiter.h"

#include <optional>
#include <utility>
#include <vector>

#include "base/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace portrait {
namespace {

using ::testing::HasSubstr;

TEST(CallLimiterTest, RefusesBeyondTheLimitAndFreesOnRelease) {
  CallLimiter limiter("reads (--max_concurrent_reads)", 2);
  std::vector<CallLimiter::Slot> held;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<CallLimiter::Slot> slot = limiter.Enter();
    ASSERT_THAT(slot.status(), IsOk());
    held.push_back(*std::move(slot));
  }
  EXPECT_THAT(limiter.Enter().status(),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       AllOf(HasSubstr("--max_concurrent_reads"),
                             HasSubstr("2 calls are in progress"))));
  held.pop_back();
  EXPECT_THAT(limiter.Enter().status(), IsOk());  // Released at once.
  // A refused call held nothing: after the last release, two fit again.
  held.clear();
  absl::StatusOr<CallLimiter::Slot> a = limiter.Enter();
  absl::StatusOr<CallLimiter::Slot> b = limiter.Enter();
  EXPECT_THAT(a.status(), IsOk());
  EXPECT_THAT(b.status(), IsOk());
}

}  // namespace
}  // namespace portrait
