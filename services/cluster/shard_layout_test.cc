#include "services/cluster/shard_layout.h"

#include "base/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/storage/memory_store.h"

namespace portrait {
namespace {

using ::testing::HasSubstr;

TEST(ShardLayoutTest, StampsThenAcceptsTheSameShardsInAnyOrder) {
  MemoryStore store;
  ASSERT_THAT(CheckOrStampLayout(&store, "s1", {"s2", "s0"}), IsOk());
  absl::StatusOr<storage::ShardLayout> layout =
      ReadLayout(&store, kShardLayoutKey);
  ASSERT_THAT(layout, IsOk());
  EXPECT_EQ(layout->shard(), "s1");
  EXPECT_EQ(LayoutNames(*layout), "s0 s1 s2");
  EXPECT_THAT(CheckOrStampLayout(&store, "s1", {"s0", "s2"}), IsOk());
}

TEST(ShardLayoutTest, RefusesOtherShardsAnotherNameOrASingleServer) {
  MemoryStore store;
  ASSERT_THAT(CheckOrStampLayout(&store, "s1", {"s0", "s2"}), IsOk());
  EXPECT_THAT(
      CheckOrStampLayout(&store, "s1", {"s0", "s2", "s3"}),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("shard_name and peers: name the shards s0 s1 s2 s3, "
                         "but this data directory's users were placed for "
                         "the shards s0 s1 s2; move them with "
                         "tools/cluster/reshard first")));
  EXPECT_THAT(CheckOrStampLayout(&store, "s1", {"s0"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("name the shards s0 s1,")));
  EXPECT_THAT(CheckOrStampLayout(&store, "s2", {"s0", "s1"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("shard_name: is s2, but this data directory "
                                 "is shard s1's")));
  EXPECT_THAT(CheckOrStampLayout(&store, "", {}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("this data directory is shard s1 of the "
                                 "shards s0 s1 s2; start it with "
                                 "--shard_name=s1")));
  // Nothing refused changed the stamp.
  EXPECT_THAT(CheckOrStampLayout(&store, "s1", {"s2", "s0"}), IsOk());
}

TEST(ShardLayoutTest, ASingleServerNeedsNoStamp) {
  MemoryStore store;
  ASSERT_THAT(CheckOrStampLayout(&store, "", {}), IsOk());
  EXPECT_THAT(ReadLayout(&store, kShardLayoutKey),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(ShardLayoutTest, RefusesAnUnfinishedReshardAndARetiredShard) {
  MemoryStore store;
  storage::ShardLayout layout;
  layout.set_shard("s3");
  layout.add_shards("s0");
  layout.add_shards("s1");
  WriteBatch batch;
  batch.Put(Column::kMeta, kReshardPendingKey, layout.SerializeAsString());
  ASSERT_THAT(store.Write(batch, false), IsOk());
  EXPECT_THAT(CheckOrStampLayout(&store, "s3", {"s0", "s1"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("a reshard of this data directory to the "
                                 "shards s0 s1 did not finish; run "
                                 "tools/cluster/reshard again")));
  EXPECT_THAT(CheckOrStampLayout(&store, "", {}),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  WriteBatch finished;
  finished.Delete(Column::kMeta, kReshardPendingKey);
  finished.Put(Column::kMeta, kShardLayoutKey, layout.SerializeAsString());
  ASSERT_THAT(store.Write(finished, false), IsOk());
  EXPECT_THAT(CheckOrStampLayout(&store, "s3", {"s0", "s1"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("this data directory was shard s3's until "
                                 "tools/cluster/reshard gave its users to "
                                 "the shards s0 s1; it holds no users")));
}

TEST(ShardLayoutTest, AMalformedRecordIsDataLoss) {
  MemoryStore store;
  WriteBatch batch;
  batch.Put(Column::kMeta, kShardLayoutKey, "\xff\xff not a record");
  ASSERT_THAT(store.Write(batch, false), IsOk());
  EXPECT_THAT(CheckOrStampLayout(&store, "s0", {}),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("meta key shard_layout")));
}

}  // namespace
}  // namespace portrait
