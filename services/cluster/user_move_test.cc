#include "services/cluster/user_move.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "base/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/storage/fault_injecting_store.h"
#include "services/storage/keys.h"
#include "services/storage/memory_store.h"
#include "services/storage/rocksdb_store.h"
#include "tests/temp_dir.h"

namespace portrait {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using Rows = std::map<std::pair<int, std::string>, std::string>;

// Every key of every column.
Rows Dump(Store* store) {
  Rows rows;
  for (int c = 0; c < kNumColumns; ++c) {
    EXPECT_THAT(store->Scan(static_cast<Column>(c), "", "",
                            [&](absl::string_view key, absl::string_view v) {
                              rows[{c, std::string(key)}] = std::string(v);
                              return true;
                            }),
                IsOk());
  }
  return rows;
}

// Puts one of each kind of a user's keys (docs/STORAGE.md) into `batch`.
void AddUser(const std::string& user, const std::string& tag,
             WriteBatch* batch) {
  batch->Put(Column::kEvents, EventKey(user, 3, 1000, "e1"), "event " + tag);
  batch->Put(Column::kEventIds, EventIdKey(user, 3, "e1"), "");
  batch->Put(Column::kConsent, ConsentStateKey(user), "consent " + tag);
  batch->Put(Column::kConsent, ConsentRequestKey(user, "r1"), "request");
  batch->Put(Column::kConsent, ReceiptKey(user, 1), "receipt " + tag);
  batch->Put(Column::kLedger, LedgerKey(user, 1), "ledger " + tag);
  batch->Put(Column::kPush, PushedItemKey(user, "post:p1"), "push " + tag);
  batch->Put(Column::kPush, PushTimeKey(user, 2000, "post:p1"), "");
  batch->Put(Column::kMeta, FreezeExpiryKey(5000, user, 4), "");
  batch->Put(Column::kMeta, PendingModelKey(ReceiptId(user, 1)), "m " + tag);
  batch->Put(Column::kMeta, PendingPeersKey(ReceiptId(user, 1)), "p " + tag);
  batch->Put(Column::kMeta, PendingCompactionKey(ReceiptId(user, 1)),
             "c " + tag);
}

// The rows AddUser writes.
Rows UserRows(const std::string& user, const std::string& tag) {
  MemoryStore store;
  WriteBatch batch;
  AddUser(user, tag, &batch);
  EXPECT_THAT(store.Write(batch, false), IsOk());
  return Dump(&store);
}

Rows Without(Rows rows, const Rows& gone) {
  for (const auto& [key, value] : gone) rows.erase(key);
  return rows;
}

class UserMoveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteBatch batch;
    // "an" and "anna" share ann's first letters, not her keys.
    for (const char* user : {"an", "ann", "anna", "bob"}) {
      AddUser(user, "source", &batch);
    }
    batch.Put(Column::kCatalog, std::string(1, '\1') + "p1", "post p1");
    batch.Put(Column::kModels, "ials/current", "model");
    batch.Put(Column::kMeta, "schema_version", "1");
    ASSERT_THAT(from_.Write(batch, false), IsOk());
  }

  MemoryStore from_;
  MemoryStore to_;
};

TEST_F(UserMoveTest, HeldUsersAreEveryUserOfAnyUserColumn) {
  WriteBatch batch;
  batch.Put(Column::kPush, PushedItemKey("carol", "post:p1"), "");
  ASSERT_THAT(from_.Write(batch, false), IsOk());
  EXPECT_THAT(HeldUsers(&from_),
              IsOkAndHolds(ElementsAre("an", "ann", "anna", "bob", "carol")));
  EXPECT_THAT(HeldUsers(&to_), IsOkAndHolds(IsEmpty()));
}

TEST_F(UserMoveTest, MovesEveryKeyOfTheUserAndNothingElse) {
  const Rows before = Dump(&from_);
  absl::StatusOr<UserMover> mover = UserMover::Create(&from_);
  ASSERT_THAT(mover, IsOk());
  ASSERT_THAT(mover->Move({"ann"}, &to_), IsOk());

  const Rows ann = UserRows("ann", "source");
  EXPECT_EQ(Dump(&to_), ann);
  EXPECT_EQ(Dump(&from_), Without(before, ann));
  EXPECT_THAT(HeldUsers(&from_),
              IsOkAndHolds(ElementsAre("an", "anna", "bob")));
}

TEST_F(UserMoveTest, MovesSeveralUsersInOneWrite) {
  const Rows before = Dump(&from_);
  absl::StatusOr<UserMover> mover = UserMover::Create(&from_);
  ASSERT_THAT(mover, IsOk());
  ASSERT_THAT(mover->Move({"an", "bob"}, &to_), IsOk());
  Rows moved = UserRows("an", "source");
  moved.merge(UserRows("bob", "source"));
  EXPECT_EQ(Dump(&to_), moved);
  EXPECT_EQ(Dump(&from_), Without(before, moved));
}

TEST_F(UserMoveTest, AMoveCutAfterTheCopyFinishesWhenRepeated) {
  const Rows before = Dump(&from_);
  FaultInjectingStore failing(&from_);
  absl::StatusOr<UserMover> mover = UserMover::Create(&failing);
  ASSERT_THAT(mover, IsOk());
  failing.FailNextWrites(1);  // The erasure, after the copy was written.
  EXPECT_THAT(mover->Move({"ann"}, &to_),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Dump(&from_), before);  // The source's copy is whole.
  EXPECT_EQ(Dump(&to_), UserRows("ann", "source"));

  // The tool run again starts over: a new mover of the same data.
  absl::StatusOr<UserMover> again = UserMover::Create(&from_);
  ASSERT_THAT(again, IsOk());
  ASSERT_THAT(again->Move({"ann"}, &to_), IsOk());
  EXPECT_EQ(Dump(&to_), UserRows("ann", "source"));
  EXPECT_EQ(Dump(&from_), Without(before, UserRows("ann", "source")));
}

TEST_F(UserMoveTest, RefusesToOverwriteOtherDataOfTheUser) {
  WriteBatch theirs;
  theirs.Put(Column::kLedger, LedgerKey("ann", 1), "ledger elsewhere");
  ASSERT_THAT(to_.Write(theirs, false), IsOk());
  const Rows from_before = Dump(&from_);
  const Rows to_before = Dump(&to_);
  absl::StatusOr<UserMover> mover = UserMover::Create(&from_);
  ASSERT_THAT(mover, IsOk());
  EXPECT_THAT(mover->Move({"bob", "ann"}, &to_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("user ann: the destination already holds "
                                 "data of the user that the source does not "
                                 "(ledger column)")));
  EXPECT_EQ(Dump(&from_), from_before);
  EXPECT_EQ(Dump(&to_), to_before);
}

TEST_F(UserMoveTest, NewShardsGetTheCatalogAndModelOnly) {
  WriteBatch stale;
  stale.Put(Column::kCatalog, std::string(1, '\1') + "gone", "stale");
  stale.Put(Column::kCatalog, std::string(1, '\2') + "b1", "brand b1");
  ASSERT_THAT(to_.Write(stale, false), IsOk());
  WriteBatch more;
  more.Put(Column::kCatalog, std::string(1, '\2') + "b1", "brand b1 now");
  more.Put(Column::kCatalog, std::string(1, '\3') + "ann", "person ann");
  ASSERT_THAT(from_.Write(more, false), IsOk());

  ASSERT_THAT(CopySharedState(&from_, &to_, /*batch_items=*/2), IsOk());
  Rows expected;
  for (const auto& [key, value] : Dump(&from_)) {
    const Column column = static_cast<Column>(key.first);
    if (column == Column::kCatalog || column == Column::kModels) {
      expected[key] = value;
    }
  }
  EXPECT_EQ(expected.size(), 4);
  EXPECT_EQ(Dump(&to_), expected);
}

// Whether any file under `directory` holds `bytes`.
bool FilesHold(const std::string& directory, const std::string& bytes) {
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(directory)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream file(entry.path(), std::ios::binary);
    std::stringstream contents;
    contents << file.rdbuf();
    if (contents.str().find(bytes) != std::string::npos) return true;
  }
  return false;
}

std::unique_ptr<RocksDbStore> Open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<RocksDbStore>> store =
      RocksDbStore::Open({.path = path});
  EXPECT_THAT(store, IsOk());
  return store.ok() ? std::move(*store) : nullptr;
}

// The moved user's values leave the source's files once it is compacted, as
// an erasure's do; the check finds them while they are only deleted.
TEST(UserMoveOnDiskTest, CompactionTakesMovedDataOffTheSourcesDisk) {
  TempDir dir;
  const std::string from_path = dir.path() + "/from";
  const std::string to_path = dir.path() + "/to";
  // Incompressible and found nowhere else.
  const std::string planted = "d41c8f0b27e94a6c95f3b1e07a2d6c58a9e1f4b3";
  {
    std::unique_ptr<RocksDbStore> from = Open(from_path);
    ASSERT_NE(from, nullptr);
    WriteBatch batch;
    batch.Put(Column::kEvents, EventKey("ann", 3, 1000, "e1"),
              "event " + planted);
    batch.Put(Column::kEvents, EventKey("bob", 3, 1000, "e1"), "bob's event");
    ASSERT_THAT(from->Write(batch, true), IsOk());
    ASSERT_THAT(from->Flush(), IsOk());
    std::unique_ptr<RocksDbStore> to = Open(to_path);
    ASSERT_NE(to, nullptr);
    absl::StatusOr<UserMover> mover = UserMover::Create(from.get());
    ASSERT_THAT(mover, IsOk());
    ASSERT_THAT(mover->Move({"ann"}, to.get()), IsOk());
  }
  EXPECT_TRUE(FilesHold(from_path, planted)) << "erased, not compacted";
  EXPECT_TRUE(FilesHold(to_path, planted));
  {
    std::unique_ptr<RocksDbStore> from = Open(from_path);
    ASSERT_NE(from, nullptr);
    ASSERT_THAT(CompactUserData(from.get()), IsOk());
    EXPECT_THAT(HeldUsers(from.get()), IsOkAndHolds(ElementsAre("bob")));
  }
  EXPECT_FALSE(FilesHold(from_path, planted));
  EXPECT_TRUE(FilesHold(to_path, planted));
}

}  // namespace
}  // namespace portrait
