// Work nobody waits for stops: a long scan whose caller's deadline passes,
// or whose caller cancels, ends within one cancellation check instead of
// running to the end; the caller gets DEADLINE_EXCEEDED / CANCELLED.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/clock.h"
#include "gtest/gtest.h"
#include "services/profile/event_summary.h"
#include "services/storage/fault_injecting_store.h"
#include "services/storage/memory_store.h"
#include "tests/temp_dir.h"
#include "tests/test_server.h"

namespace portrait {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;
constexpr int kEvents = 5000;  // Nearly 5 checks.

class CallOffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PortraitServer::Options options =
        TestServerOptions(dir_.path() + "/unused", &clock_);
    options.store = &store_;
    ASSERT_TRUE(portrait_.Start(options));
    for (int batch = 0; batch < kEvents / 500; ++batch) {
      v1::RecordEventsRequest request;
      for (int i = 0; i < 500; ++i) {
        v1::Event* e = request.add_events();
        e->set_event_id(absl::StrCat("e", batch, "-", i));
        e->set_user_id("heavy");
        e->set_signal(v1::SEARCH);
        e->set_occurred_at_ms(kNow - 1'000'000 + batch * 500 + i);
        e->mutable_search()->set_query("tea");
      }
      v1::RecordEventsResponse response;
      grpc::ClientContext context;
      ASSERT_TRUE(
          portrait_.ingest->RecordEvents(&context, request, &response).ok());
      ASSERT_EQ(response.stored(), 500);
    }
    // The whole scan now takes kEvents ms.
    store_.SlowScans(absl::Milliseconds(1));
  }

  v1::GetEventSummaryRequest Heavy() {
    v1::GetEventSummaryRequest request;
    request.set_user_id("heavy");
    return request;
  }

  // Keys the server's scans visited since `before`, once they stop moving.
  int64_t ScannedOnceSettled(int64_t before) {
    int64_t last = -1;
    for (int i = 0; i < 100 && store_.keys_scanned() != last; ++i) {
      last = store_.keys_scanned();
      absl::SleepFor(absl::Milliseconds(100));
    }
    return store_.keys_scanned() - before;
  }

  TempDir dir_;
  FakeClock clock_{kNow};
  MemoryStore memory_;
  FaultInjectingStore store_{&memory_};
  TestServer portrait_;
};

TEST_F(CallOffTest, APassedDeadlineStopsTheScan) {
  const int64_t before = store_.keys_scanned();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(200));
  v1::GetEventSummaryResponse response;
  const grpc::Status status =
      portrait_.profile->GetEventSummary(&context, Heavy(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  const int64_t scanned = ScannedOnceSettled(before);
  EXPECT_GT(scanned, 0);
  EXPECT_LE(scanned, 2 * kEventsPerCancellationCheck) << "of " << kEvents;
}

TEST_F(CallOffTest, ACancelledCallStopsTheScan) {
  const int64_t before = store_.keys_scanned();
  grpc::ClientContext context;
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(200));
    context.TryCancel();
  });
  v1::GetEventSummaryResponse response;
  const grpc::Status status =
      portrait_.profile->GetEventSummary(&context, Heavy(), &response);
  canceller.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  const int64_t scanned = ScannedOnceSettled(before);
  EXPECT_GT(scanned, 0);
  EXPECT_LE(scanned, 2 * kEventsPerCancellationCheck) << "of " << kEvents;
}

TEST_F(CallOffTest, AWaitedForScanRunsToTheEnd) {
  store_.SlowScans(absl::ZeroDuration());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  v1::GetEventSummaryResponse response;
  ASSERT_TRUE(
      portrait_.profile->GetEventSummary(&context, Heavy(), &response).ok());
  EXPECT_EQ(response.total_events(), kEvents);
}

}  // namespace
}  // namespace portrait
