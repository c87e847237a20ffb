// Limits through a real server: a request message over the size limit is
// refused with RESOURCE_EXHAUSTED; a flood of slow reads beyond the
// concurrency limit is refused at once rather than queued, and meanwhile
// consent changes and health checks keep being answered.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/clock.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/storage/fault_injecting_store.h"
#include "services/storage/memory_store.h"
#include "tests/temp_dir.h"
#include "tests/test_server.h"

namespace portrait {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 1'790'000'000'000;

TEST(LimitsTest, AnOversizedRequestIsResourceExhausted) {
  TempDir dir;
  FakeClock clock(kNow);
  PortraitServer::Options options =
      TestServerOptions(dir.path() + "/db", &clock);
  options.max_message_bytes = 64 << 10;
  TestServer portrait;
  ASSERT_TRUE(portrait.Start(options));
  v1::RecordEventsRequest request;
  for (int i = 0; i < 100; ++i) {  // About 200 KB.
    v1::Event* e = request.add_events();
    e->set_event_id(absl::StrCat("e", i));
    e->set_user_id("ann");
    e->set_signal(v1::COMMENT);
    e->mutable_target()->set_kind(v1::ITEM_POST);
    e->mutable_target()->set_id("p1");
    e->set_occurred_at_ms(kNow);
    e->mutable_comment()->set_text(std::string(2000, 'x'));
  }
  v1::RecordEventsResponse response;
  grpc::ClientContext context;
  const grpc::Status status =
      portrait.ingest->RecordEvents(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << status.error_message();
  // Nothing of it was stored; a request under the limit is.
  request.mutable_events()->DeleteSubrange(10, 90);
  grpc::ClientContext again;
  ASSERT_TRUE(portrait.ingest->RecordEvents(&again, request, &response).ok());
  EXPECT_EQ(response.stored(), 10);
}

TEST(LimitsTest, LimitsBelowOneStopTheServerFromStarting) {
  TempDir dir;
  FakeClock clock(kNow);
  PortraitServer::Options options =
      TestServerOptions(dir.path() + "/db", &clock);
  options.max_concurrent_reads = 0;
  EXPECT_THAT(PortraitServer::Start(options).status().message(),
              HasSubstr("max_concurrent_reads: is 0"));
}

TEST(LimitsTest, AFloodOfReadsIsRefusedWhileConsentAndHealthAnswer) {
  TempDir dir;
  FakeClock clock(kNow);
  MemoryStore memory;
  FaultInjectingStore store(&memory);
  PortraitServer::Options options =
      TestServerOptions(dir.path() + "/unused", &clock);
  options.store = &store;
  options.max_concurrent_reads = 2;
  TestServer portrait;
  ASSERT_TRUE(portrait.Start(options));
  v1::RecordEventsRequest events;
  for (int i = 0; i < 1000; ++i) {
    v1::Event* e = events.add_events();
    e->set_event_id(absl::StrCat("e", i));
    e->set_user_id("heavy");
    e->set_signal(v1::SEARCH);
    e->set_occurred_at_ms(kNow - 1'000'000 + i);
    e->mutable_search()->set_query("tea");
  }
  v1::RecordEventsResponse recorded;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(
        portrait.ingest->RecordEvents(&context, events, &recorded).ok());
  }
  store.SlowScans(absl::Milliseconds(2));  // A summary of heavy takes 2 s.

  constexpr int kFlood = 8;
  std::atomic<int> answered{0}, refused{0}, other{0};
  std::vector<std::thread> flood;
  for (int i = 0; i < kFlood; ++i) {
    flood.emplace_back([&] {
      v1::GetEventSummaryRequest request;
      request.set_user_id("heavy");
      v1::GetEventSummaryResponse response;
      grpc::ClientContext context;
      const grpc::Status status =
          portrait.profile->GetEventSummary(&context, request, &response);
      if (status.ok() && response.total_events() == 1000) {
        ++answered;
      } else if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
                 status.error_message().find("--max_concurrent_reads") !=
                     std::string::npos) {
        ++refused;
      } else {
        ++other;
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(300));  // The flood is in.
  // Consent and health answer while the two slow reads run.
  auto health = grpc::health::v1::Health::NewStub(portrait.channel);
  for (int i = 0; i < 5; ++i) {
    const absl::Time start = absl::Now();
    v1::SetConsentRequest request;
    request.set_user_id("light");
    request.set_requester(v1::REQUESTER_USER);
    request.set_caller_id("limits-test");
    request.set_request_id(absl::StrCat("r", i));
    request.set_policy_version(1);
    v1::SignalChange* change = request.add_changes()->mutable_signal();
    change->set_signal(v1::LIKE);
    change->set_grant(i % 2 == 1);
    if (!change->grant()) change->set_action(v1::FREEZE);
    v1::SetConsentResponse set;
    grpc::ClientContext c1;
    c1.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
    const grpc::Status status =
        portrait.consent->SetConsent(&c1, request, &set);
    EXPECT_TRUE(status.ok()) << status.error_message();
    grpc::health::v1::HealthCheckRequest check;
    grpc::health::v1::HealthCheckResponse serving;
    grpc::ClientContext c2;
    c2.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
    EXPECT_TRUE(health->Check(&c2, check, &serving).ok());
    EXPECT_EQ(serving.status(), grpc::health::v1::HealthCheckResponse::SERVING);
    EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  }
  for (std::thread& t : flood) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(answered + refused, kFlood);
  EXPECT_GE(answered.load(), 2);          // Two at a time ran...
  EXPECT_GE(refused.load(), kFlood - 4);  // ...and the rest were refused.
}

}  // namespace
}  // namespace portrait
