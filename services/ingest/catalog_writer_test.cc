#include "services/ingest/catalog_writer.h"

#include <vector>

#include "base/clock.h"
#include "base/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/ingest/validation.h"
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

// In a cluster, an account another shard deleted: its person and its posts
// are refused, with the field named, and nothing of the request is written;
// DeleteListed erases any number of items and tells the hook once.
TEST(CatalogWriterClusterTest, AnAccountDeletedElsewhereIsRefused) {
  MemoryStore store;
  FakeClock clock{kNow};
  UserLocks locks;
  int deletions = 0;
  CatalogWriter::Hooks hooks;
  hooks.deleted_elsewhere = [](absl::string_view account) {
    return account == "gone";
  };
  hooks.deleted = [&](const auto&) { ++deletions; };
  CatalogWriter writer(&store, &clock, &locks, nullptr, hooks);

  v1::UpsertItemsRequest upsert;
  upsert.add_items()->mutable_brand()->set_brand_id("b1");
  v1::Post* post = upsert.add_items()->mutable_post();
  post->set_post_id("p1");
  post->set_author_id("gone");
  post->set_created_at_ms(kNow);
  EXPECT_THAT(writer.Upsert(upsert),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "items[1].post.author_id: the account of gone was "
                       "deleted"));
  upsert.mutable_items()->RemoveLast();
  upsert.add_items()->mutable_person()->set_user_id("gone");
  EXPECT_THAT(writer.Upsert(upsert),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "items[1].person.user_id: the account of gone was "
                       "deleted"));
  EXPECT_THAT(writer.Get(Ref(v1::ITEM_BRAND, "b1")),
              StatusIs(absl::StatusCode::kNotFound));

  // Another author's post is stored; then DeleteListed takes more items than
  // a DeleteItems request may name.
  upsert.mutable_items()->RemoveLast();
  upsert.mutable_items(0)->mutable_brand()->set_brand_id("b2");
  post = upsert.add_items()->mutable_post();
  post->set_post_id("p2");
  post->set_author_id("here");
  post->set_created_at_ms(kNow);
  ASSERT_THAT(writer.Upsert(upsert), IsOk());
  EXPECT_THAT(writer.DeleteListed([] {
    std::vector<v1::ItemRef> refs(kMaxItemsPerRequest,
                                  Ref(v1::ITEM_POST, "absent"));
    refs.push_back(Ref(v1::ITEM_POST, "p2"));
    return refs;
  }),
              IsOk());
  EXPECT_THAT(writer.Get(Ref(v1::ITEM_POST, "p2")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(writer.Get(Ref(v1::ITEM_BRAND, "b2")), IsOk());
  EXPECT_EQ(deletions, 1);
  // Nothing listed: nothing written, the hook not called again.
  EXPECT_THAT(writer.DeleteListed([] { return std::vector<v1::ItemRef>(); }),
              IsOk());
  EXPECT_EQ(deletions, 1);
}

}  // namespace
}  // namespace portrait
