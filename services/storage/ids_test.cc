#include "services/storage/ids.h"

#include <string>

#include "base/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace portrait {
namespace {

using ::testing::HasSubstr;

TEST(IdsTest, AcceptsTheIdAlphabetUpToTheLimit) {
  EXPECT_THAT(ValidateId("u-1_a.b:c@d", "user_id"), IsOk());
  EXPECT_THAT(ValidateId(std::string(kMaxIdBytes, 'a'), "user_id"), IsOk());
  EXPECT_THAT(ValidateId(std::string(128, 'a'), "request_id", 128), IsOk());
}

TEST(IdsTest, RefusalsNameTheFieldAndTheLimit) {
  EXPECT_THAT(ValidateId("", "user_id"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("user_id: is required")));
  EXPECT_THAT(ValidateId(std::string(kMaxIdBytes + 1, 'a'), "caller_id"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("caller_id: is 65 bytes; the limit is 64")));
  for (const char* bad : {"a b", "a/b", "a\nb", "ü", "a\0b"}) {
    EXPECT_THAT(ValidateId(std::string(bad, 3), "target_id"),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("target_id: may hold only")))
        << bad;
  }
}

}  // namespace
}  // namespace portrait
