#include "services/storage/schema.h"

#include "base/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/storage/memory_store.h"

namespace portrait {
namespace {

using ::testing::HasSubstr;

TEST(SchemaTest, StampsAnEmptyStoreAndAcceptsItAgain) {
  MemoryStore store;
  ASSERT_THAT(CheckOrStampSchema(&store), IsOk());
  EXPECT_THAT(store.Get(Column::kMeta, "schema_version"), IsOkAndHolds("1"));
  EXPECT_THAT(CheckOrStampSchema(&store), IsOk());
}

TEST(SchemaTest, RefusesAnotherVersion) {
  MemoryStore store;
  WriteBatch batch;
  batch.Put(Column::kMeta, "schema_version", "99");
  ASSERT_THAT(store.Write(batch, true), IsOk());
  EXPECT_THAT(CheckOrStampSchema(&store),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("layout version 99")));
}

TEST(SchemaTest, RefusesUnstampedData) {
  MemoryStore store;
  WriteBatch batch;
  batch.Put(Column::kEvents, "old", "data");
  ASSERT_THAT(store.Write(batch, true), IsOk());
  EXPECT_THAT(CheckOrStampSchema(&store),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("no layout version")));
}

}  // namespace
}  // namespace portrait
