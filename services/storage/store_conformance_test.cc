// One conformance suite run against every Store implementation.
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/status.h"
#include "services/storage/memory_store.h"
#include "services/storage/rocksdb_store.h"
#include "services/storage/store.h"
#include "tests/temp_dir.h"

namespace portrait {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

// Makes a fresh, empty store; `reopen` closes and reopens the same one where
// the implementation is durable (returns nullptr where it is not).
struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<Store>(const std::string& dir)> open;
  bool durable;
};

class StoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override { store_ = GetParam().open(dir_.path()); }

  std::vector<std::pair<std::string, std::string>> ScanAll(
      Column column, absl::string_view begin = "", absl::string_view end = "") {
    std::vector<std::pair<std::string, std::string>> out;
    EXPECT_THAT(store_->Scan(column, begin, end,
                             [&](absl::string_view k, absl::string_view v) {
                               out.emplace_back(k, v);
                               return true;
                             }),
                IsOk());
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreConformanceTest, GetOfMissingKeyIsNotFound) {
  EXPECT_THAT(store_->Get(Column::kEvents, "nothing"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, PutThenGet) {
  WriteBatch batch;
  batch.Put(Column::kEvents, "k", "v");
  ASSERT_THAT(store_->Write(batch, /*sync=*/true), IsOk());
  EXPECT_THAT(store_->Get(Column::kEvents, "k"), IsOkAndHolds("v"));
}

TEST_P(StoreConformanceTest, MultiGetAnswersEachKeyInOrder) {
  WriteBatch batch;
  batch.Put(Column::kEventIds, "b", "2");
  batch.Put(Column::kEventIds, "a", "1");
  ASSERT_THAT(store_->Write(batch, true), IsOk());
  auto values = store_->MultiGet(Column::kEventIds, {"b", "missing", "a", "b"});
  ASSERT_EQ(values.size(), 4u);
  EXPECT_THAT(values[0], IsOkAndHolds("2"));
  EXPECT_THAT(values[1], StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(values[2], IsOkAndHolds("1"));
  EXPECT_THAT(values[3], IsOkAndHolds("2"));
  EXPECT_TRUE(store_->MultiGet(Column::kEventIds, {}).empty());
}

TEST_P(StoreConformanceTest, ColumnsAreSeparate) {
  WriteBatch batch;
  batch.Put(Column::kEvents, "k", "events");
  batch.Put(Column::kCatalog, "k", "catalog");
  ASSERT_THAT(store_->Write(batch, true), IsOk());
  EXPECT_THAT(store_->Get(Column::kEvents, "k"), IsOkAndHolds("events"));
  EXPECT_THAT(store_->Get(Column::kCatalog, "k"), IsOkAndHolds("catalog"));
  EXPECT_THAT(store_->Get(Column::kLedger, "k"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, OpsApplyInOrder) {
  WriteBatch batch;
  batch.Put(Column::kMeta, "a", "1");
  batch.Delete(Column::kMeta, "a");
  batch.Put(Column::kMeta, "b", "1");
  batch.Put(Column::kMeta, "b", "2");
  ASSERT_THAT(store_->Write(batch, false), IsOk());
  EXPECT_THAT(ScanAll(Column::kMeta), ElementsAre(Pair("b", "2")));
}

TEST_P(StoreConformanceTest, KeysAreBinarySafeAndOrderedAsUnsignedBytes) {
  WriteBatch batch;
  batch.Put(Column::kEvents, std::string("a\0b", 3), "nul");
  batch.Put(Column::kEvents, "a\xff", "ff");
  batch.Put(Column::kEvents, "a", "plain");
  batch.Put(Column::kEvents, "a\x01", "one");
  ASSERT_THAT(store_->Write(batch, true), IsOk());
  EXPECT_THAT(
      ScanAll(Column::kEvents),
      ElementsAre(Pair("a", "plain"), Pair(std::string("a\0b", 3), "nul"),
                  Pair("a\x01", "one"), Pair("a\xff", "ff")));
}

TEST_P(StoreConformanceTest, ScanIsHalfOpenAndStopsWhenAsked) {
  WriteBatch batch;
  for (char c = 'a'; c <= 'e'; ++c)
    batch.Put(Column::kEvents, std::string(1, c), std::string(1, c));
  ASSERT_THAT(store_->Write(batch, true), IsOk());
  EXPECT_THAT(ScanAll(Column::kEvents, "b", "d"),
              ElementsAre(Pair("b", "b"), Pair("c", "c")));
  EXPECT_THAT(ScanAll(Column::kEvents, "d", ""),
              ElementsAre(Pair("d", "d"), Pair("e", "e")));
  int seen = 0;
  ASSERT_THAT(store_->Scan(Column::kEvents, "", "",
                           [&](absl::string_view, absl::string_view) {
                             return ++seen < 2;
                           }),
              IsOk());
  EXPECT_EQ(seen, 2);
}

TEST_P(StoreConformanceTest, ScanWithEndBelowBeginIsInvalid) {
  EXPECT_THAT(
      store_->Scan(Column::kEvents, "b", "a",
                   [](absl::string_view, absl::string_view) { return true; }),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(StoreConformanceTest, DeleteRangeErasesExactlyTheRange) {
  WriteBatch batch;
  for (std::string key : {"u1\x01", "u1\x02\x05", "u1\x03", "u2"}) {
    batch.Put(Column::kEvents, key, "x");
  }
  ASSERT_THAT(store_->Write(batch, true), IsOk());
  WriteBatch erase;
  erase.DeleteRange(Column::kEvents, "u1\x02", PrefixEnd("u1\x02"));
  ASSERT_THAT(store_->Write(erase, true), IsOk());
  EXPECT_THAT(
      ScanAll(Column::kEvents),
      ElementsAre(Pair("u1\x01", "x"), Pair("u1\x03", "x"), Pair("u2", "x")));
}

TEST_P(StoreConformanceTest, BatchWithBadRangeAppliesNothing) {
  WriteBatch batch;
  batch.Put(Column::kEvents, "k", "v");
  batch.DeleteRange(Column::kEvents, "z", "a");
  EXPECT_THAT(store_->Write(batch, true),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->Get(Column::kEvents, "k"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, PutAfterDeleteRangeInOneBatchSurvives) {
  WriteBatch batch;
  batch.Put(Column::kEvents, "b", "old");
  batch.DeleteRange(Column::kEvents, "a", "c");
  batch.Put(Column::kEvents, "b", "new");
  ASSERT_THAT(store_->Write(batch, true), IsOk());
  EXPECT_THAT(store_->Get(Column::kEvents, "b"), IsOkAndHolds("new"));
}

TEST_P(StoreConformanceTest, CompactRangeKeepsLiveKeysAndChecksTheRange) {
  WriteBatch batch;
  batch.Put(Column::kEvents, "a", "1");
  batch.Put(Column::kEvents, "b", "2");
  batch.Put(Column::kEvents, "c", "3");
  ASSERT_THAT(store_->Write(batch, true), IsOk());
  WriteBatch erase;
  erase.DeleteRange(Column::kEvents, "b", "c");
  ASSERT_THAT(store_->Write(erase, true), IsOk());
  ASSERT_THAT(store_->CompactRange(Column::kEvents, "a", "z"), IsOk());
  ASSERT_THAT(store_->CompactRange(Column::kEvents, "", ""), IsOk());
  EXPECT_THAT(ScanAll(Column::kEvents),
              ElementsAre(Pair("a", "1"), Pair("c", "3")));
  EXPECT_THAT(store_->CompactRange(Column::kEvents, "z", "a"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(StoreConformanceTest, ConcurrentWritersAllLand) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kPerThread; ++i) {
        WriteBatch batch;
        batch.Put(Column::kEvents, absl::StrCat(t, "/", i), "v");
        EXPECT_THAT(store_->Write(batch, false), IsOk());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ScanAll(Column::kEvents).size(), kThreads * kPerThread);
}

TEST_P(StoreConformanceTest, SyncedWritesSurviveReopen) {
  if (!GetParam().durable) GTEST_SKIP() << GetParam().name << " is not durable";
  WriteBatch batch;
  batch.Put(Column::kLedger, "entry", "1");
  ASSERT_THAT(store_->Write(batch, true), IsOk());
  store_.reset();
  store_ = GetParam().open(dir_.path());
  EXPECT_THAT(store_->Get(Column::kLedger, "entry"), IsOkAndHolds("1"));
}

TEST(PrefixEndTest, IncrementsTheLastByteThatCan) {
  EXPECT_EQ(PrefixEnd("ab"), "ac");
  EXPECT_EQ(PrefixEnd("a\xff"), "b");
  EXPECT_EQ(PrefixEnd("\xff\xff"), "");
  EXPECT_EQ(PrefixEnd(std::string("u\0", 2)), std::string("u\x01", 2));
}

TEST(RocksDbStoreTest, SecondOpenOfSameDirectoryIsFailedPrecondition) {
  TempDir dir;
  auto first = RocksDbStore::Open({.path = dir.path()});
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(RocksDbStore::Open({.path = dir.path()}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       ::testing::HasSubstr("another portraitd")));
}

TEST(RocksDbStoreTest, OnlyTheLockFileMeansAnotherProcess) {
  EXPECT_THAT(
      FromRocks(rocksdb::Status::IOError("While lock file: /d/LOCK",
                                         "Resource temporarily unavailable"),
                "opening"),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               ::testing::HasSubstr("another portraitd")));
  // "lock" inside "block" is an ordinary I/O error: retry, not a held lock.
  EXPECT_THAT(
      FromRocks(rocksdb::Status::IOError("While reading block", "short read"),
                "reading events"),
      StatusIs(absl::StatusCode::kUnavailable,
               ::testing::HasSubstr("reading events: ")));
  EXPECT_THAT(FromRocks(rocksdb::Status::Corruption("bad block"), "reading"),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(FromRocks(rocksdb::Status::OK(), "reading"), IsOk());
}

TEST(RocksDbStoreTest, UncreatableDirectoryIsReported) {
  TempDir dir;
  std::string file = dir.path() + "/plain_file";
  ASSERT_TRUE(WriteFile(file, "x"));
  auto store = RocksDbStore::Open({.path = file + "/db"});
  EXPECT_THAT(store, StatusIs(absl::StatusCode::kUnavailable,
                              ::testing::HasSubstr("cannot create")));
}

// What "erased on disk" means: after DeleteRange and CompactRange, the
// deleted bytes are in no file of the database directory, WAL included.
TEST(RocksDbStoreTest, CompactRangeRemovesDeletedBytesFromEveryFile) {
  TempDir dir;
  auto opened = RocksDbStore::Open({.path = dir.path() + "/db"});
  ASSERT_THAT(opened, IsOk());
  RocksDbStore& store = **opened;
  const std::string marker = "ERASE-ME-7f3a9c";
  WriteBatch batch;
  for (int i = 0; i < 100; ++i) {
    batch.Put(Column::kEvents, absl::StrCat("u\x01", i), marker);
  }
  batch.Put(Column::kEvents, "v", "keep");
  ASSERT_THAT(store.Write(batch, true), IsOk());
  ASSERT_THAT(store.Flush(), IsOk());
  WriteBatch erase;
  erase.DeleteRange(Column::kEvents, "u", "u\xff");
  ASSERT_THAT(store.Write(erase, true), IsOk());
  ASSERT_THAT(store.CompactRange(Column::kEvents, "u", "u\xff"), IsOk());
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(dir.path())) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string contents((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
    EXPECT_EQ(contents.find(marker), std::string::npos) << entry.path();
  }
  EXPECT_THAT(store.Get(Column::kEvents, "v"), IsOkAndHolds("keep"));
}

INSTANTIATE_TEST_SUITE_P(
    AllStores, StoreConformanceTest,
    ::testing::Values(
        StoreFactory{"memory",
                     [](const std::string&) -> std::unique_ptr<Store> {
                       return std::make_unique<MemoryStore>();
                     },
                     false},
        StoreFactory{"rocksdb",
                     [](const std::string& dir) -> std::unique_ptr<Store> {
                       auto store = RocksDbStore::Open({.path = dir + "/db"});
                       EXPECT_THAT(store, IsOk());
                       return store.ok() ? std::move(*store) : nullptr;
                     },
                     true}),
    [](const ::testing::TestParamInfo<StoreFactory>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace portrait
