#include "services/ingest/event_ingestor.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/consent/test_policy.h"
#include "services/locking/user_locks.h"
#include "services/storage/keys.h"
#include "services/storage/memory_store.h"

namespace portrait {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;

v1::Event Like(const std::string& id, const std::string& user,
               int64_t at = kNow - 1000) {
  v1::Event e;
  e.set_event_id(id);
  e.set_user_id(user);
  e.set_signal(v1::LIKE);
  e.mutable_target()->set_kind(v1::ITEM_POST);
  e.mutable_target()->set_id("p1");
  e.set_occurred_at_ms(at);
  return e;
}

class EventIngestorTest : public ::testing::Test {
 protected:
  absl::StatusOr<v1::RecordEventsResponse> Record(
      const std::vector<v1::Event>& events) {
    google::protobuf::RepeatedPtrField<v1::Event> batch(events.begin(),
                                                        events.end());
    return ingestor_.Record(batch);
  }

  int CountStored() {
    int n = 0;
    EXPECT_THAT(store_.Scan(Column::kEvents, "", "",
                            [&](absl::string_view, absl::string_view) {
                              ++n;
                              return true;
                            }),
                IsOk());
    return n;
  }

  MemoryStore store_;
  FakeClock clock_{kNow};
  UserLocks locks_;
  EventIngestor ingestor_{&store_, &clock_, &locks_, &ShippedPolicy()};
};

TEST_F(EventIngestorTest, StoresEventsUnderTheirKeys) {
  auto response = Record({Like("e1", "u1"), Like("e2", "u2")});
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->stored(), 2);
  EXPECT_EQ(response->results(0).outcome(), v1::STORED);
  auto value =
      store_.Get(Column::kEvents, EventKey("u1", v1::LIKE, kNow - 1000, "e1"));
  ASSERT_THAT(value, IsOk());
  v1::Event stored;
  ASSERT_TRUE(stored.ParseFromString(*value));
  EXPECT_EQ(stored.event_id(), "e1");
}

TEST_F(EventIngestorTest, RetriedBatchIsStoredOnce) {
  std::vector<v1::Event> batch = {Like("e1", "u1"), Like("e2", "u1")};
  ASSERT_THAT(Record(batch), IsOk());
  auto retry = Record(batch);
  ASSERT_THAT(retry, IsOk());
  EXPECT_EQ(retry->stored(), 0);
  EXPECT_EQ(retry->duplicates(), 2);
  EXPECT_EQ(retry->results(1).outcome(), v1::DUPLICATE);
  EXPECT_EQ(CountStored(), 2);
}

TEST_F(EventIngestorTest, DuplicateInsideOneBatchIsStoredOnce) {
  // Same id, different time: still one event.
  auto response = Record({Like("e1", "u1"), Like("e1", "u1", kNow - 5)});
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->stored(), 1);
  EXPECT_EQ(response->duplicates(), 1);
  EXPECT_EQ(CountStored(), 1);
}

TEST_F(EventIngestorTest, MalformedBatchStoresNothing) {
  v1::Event bad = Like("e2", "u1");
  bad.clear_user_id();
  EXPECT_THAT(Record({Like("e1", "u1"), bad}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("events[1].user_id")));
  EXPECT_EQ(CountStored(), 0);
}

TEST_F(EventIngestorTest, InvalidEventIsRejectedAloneAndRestStored) {
  v1::Event self = Like("e2", "u1");
  self.set_signal(v1::FOLLOW);
  self.mutable_target()->set_kind(v1::ITEM_USER);
  self.mutable_target()->set_id("u1");
  v1::Event old = Like("e3", "u1", kNow - int64_t{731} * 24 * 3600 * 1000);
  auto response = Record({Like("e1", "u1"), self, old});
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->stored(), 1);
  EXPECT_EQ(response->rejected(), 2);
  EXPECT_EQ(response->results(1).reason(), v1::SELF_TARGET);
  EXPECT_EQ(response->results(2).reason(), v1::TOO_OLD);
  EXPECT_THAT(response->results(2).detail(),
              ::testing::HasSubstr("occurred_at_ms"));
  EXPECT_EQ(CountStored(), 1);
}

TEST_F(EventIngestorTest, ConcurrentRetriesStoreEachEventOnce) {
  constexpr int kThreads = 4;
  std::vector<v1::Event> batch;
  for (int i = 0; i < 200; ++i) {
    batch.push_back(Like(absl::StrCat("e", i), absl::StrCat("u", i % 7)));
  }
  std::vector<int> stored(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto response = Record(batch);
      ASSERT_THAT(response, IsOk());
      stored[t] = response->stored();
    });
  }
  for (std::thread& t : threads) t.join();
  int total = 0;
  for (int s : stored) total += s;
  EXPECT_EQ(total, 200);
  EXPECT_EQ(CountStored(), 200);
}

}  // namespace
}  // namespace portrait
