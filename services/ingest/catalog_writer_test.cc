#include "services/ingest/catalog_writer.h"

#include "base/clock.h"
#include "base/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/storage/memory_store.h"

namespace portrait {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;

class CatalogWriterTest : public ::testing::Test {
 protected:
  MemoryStore store_;
  FakeClock clock_{kNow};
  UserLocks locks_;
  CatalogWriter writer_{&store_, &clock_, &locks_};
};

v1::ItemRef Ref(v1::ItemKind kind, const std::string& id) {
  v1::ItemRef ref;
  ref.set_kind(kind);
  ref.set_id(id);
  return ref;
}

TEST_F(CatalogWriterTest, UpsertReplacesAndDeleteCountsWhatExisted) {
  v1::UpsertItemsRequest upsert;
  v1::Post* post = upsert.add_items()->mutable_post();
  post->set_post_id("p1");
  post->set_created_at_ms(kNow);
  post->add_tags("shoes");
  upsert.add_items()->mutable_brand()->set_brand_id(
      "p1");  // Same id, other kind.
  ASSERT_THAT(writer_.Upsert(upsert), IsOk());
  post->set_tags(0, "boots");
  ASSERT_THAT(writer_.Upsert(upsert), IsOk());

  auto stored = writer_.Get(Ref(v1::ITEM_POST, "p1"));
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->post().tags(0), "boots");
  EXPECT_THAT(writer_.Get(Ref(v1::ITEM_BRAND, "p1")), IsOk());

  v1::DeleteItemsRequest del;
  *del.add_items() = Ref(v1::ITEM_POST, "p1");
  *del.add_items() = Ref(v1::ITEM_POST, "p1");
  *del.add_items() = Ref(v1::ITEM_POST, "absent");
  auto deleted = writer_.Delete(del);
  ASSERT_THAT(deleted, IsOk());
  EXPECT_EQ(deleted->deleted(), 1);
  EXPECT_THAT(writer_.Get(Ref(v1::ITEM_POST, "p1")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(writer_.Get(Ref(v1::ITEM_BRAND, "p1")), IsOk());
}

TEST_F(CatalogWriterTest, MalformedUpsertWritesNothing) {
  v1::UpsertItemsRequest upsert;
  upsert.add_items()->mutable_brand()->set_brand_id("b1");
  upsert.add_items()->mutable_person();  // No user_id.
  EXPECT_THAT(writer_.Upsert(upsert),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("items[1].person.user_id")));
  EXPECT_THAT(writer_.Get(Ref(v1::ITEM_BRAND, "b1")),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace portrait
