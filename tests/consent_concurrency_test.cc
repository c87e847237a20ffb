// Ingest and revocation racing over gRPC against a real server: several
// clients stream LIKE events (some back-dated, as late deliveries are) while
// another repeatedly strips and re-grants LIKE for the same users. After each
// strip returns, the user has no LIKE event stored and gets none while the
// signal stays stripped; at the end every stored LIKE event occurred at or
// after the grant it was accepted under. Also checks each ConsentService
// call's status codes over the wire.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "portrait/v1/consent.grpc.pb.h"
#include "portrait/v1/ingest.grpc.pb.h"
#include "services/consent/erasure_components.h"
#include "tests/consent_harness.h"
#include "tests/temp_dir.h"
#include "tests/test_server.h"

namespace portrait {
namespace {

using ::testing::HasSubstr;

constexpr int kUsers = 4;

// A request that grants `signal` to `user`, or STRIPs it.
v1::SetConsentRequest SignalRequest(const std::string& user, v1::Signal signal,
                                    bool grant, const std::string& request_id) {
  return UserConsentRequest(
      user, request_id, "concurrency-test",
      ChangeOfSignal(signal, grant,
                     grant ? v1::REVOCATION_ACTION_UNSPECIFIED : v1::STRIP));
}

class ConsentServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(portrait_.Start(dir_.path() + "/db", RealClock::Get()));
  }

  grpc::Status Set(const v1::SetConsentRequest& request,
                   v1::SetConsentResponse* response) {
    grpc::ClientContext context;
    return portrait_.consent->SetConsent(&context, request, response);
  }

  v1::SetConsentRequest Request(const std::string& user, v1::Signal signal,
                                bool grant) {
    return SignalRequest(user, signal, grant,
                         absl::StrCat("r", next_request_++));
  }

  // LIKE events stored for `user`: count and oldest occurred_at.
  std::pair<int64_t, int64_t> StoredLikes(const std::string& user) {
    v1::GetEventSummaryRequest request;
    request.set_user_id(user);
    v1::GetEventSummaryResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(
        portrait_.profile->GetEventSummary(&context, request, &response).ok());
    for (const v1::SignalEventSummary& s : response.signals()) {
      if (s.signal() == v1::LIKE) return {s.count(), s.oldest_ms()};
    }
    return {0, 0};
  }

  TempDir dir_;
  TestServer portrait_;
  int next_request_ = 0;
};

TEST_F(ConsentServiceTest, IngestNeverOutrunsARevocation) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> stored{0}, refused{0};
  std::vector<std::thread> producers;
  for (int t = 0; t < 3; ++t) {
    producers.emplace_back([&, t] {
      auto ingest = v1::IngestService::NewStub(portrait_.channel);
      std::mt19937 rng(t);
      for (int batch = 0; !stop.load(); ++batch) {
        v1::RecordEventsRequest request;
        const int64_t now = absl::ToUnixMillis(absl::Now());
        for (int i = 0; i < 20; ++i) {
          // Up to 50 ms back-dated: late deliveries across a strip.
          *request.add_events() = ConsentHarness::MakeEvent(
              absl::StrCat("t", t, "-", batch, "-", i),
              absl::StrCat("user", rng() % kUsers), v1::LIKE,
              now - static_cast<int64_t>(rng() % 50));
        }
        v1::RecordEventsResponse response;
        grpc::ClientContext context;
        ASSERT_TRUE(ingest->RecordEvents(&context, request, &response).ok());
        stored += response.stored();
        refused += response.rejected();
      }
    });
  }
  std::map<std::string, int64_t> granted_since;
  for (int round = 0; round < 40; ++round) {
    const std::string user = absl::StrCat("user", round % kUsers);
    v1::SetConsentResponse response;
    ASSERT_TRUE(Set(Request(user, v1::LIKE, false), &response).ok());
    // Read-your-revocation: nothing stored, and nothing gets in.
    EXPECT_EQ(StoredLikes(user).first, 0) << "round " << round;
    absl::SleepFor(absl::Milliseconds(10));
    EXPECT_EQ(StoredLikes(user).first, 0) << "round " << round;
    ASSERT_TRUE(Set(Request(user, v1::LIKE, true), &response).ok());
    granted_since[user] = response.consent().signals(v1::LIKE - 1).since_ms();
    absl::SleepFor(absl::Milliseconds(10));
  }
  stop = true;
  for (std::thread& t : producers) t.join();
  EXPECT_GT(stored.load(), 0);
  EXPECT_GT(refused.load(), 0);  // Some were refused: the race happened.
  for (const auto& [user, since] : granted_since) {
    auto [count, oldest] = StoredLikes(user);
    if (count > 0) {
      EXPECT_GE(oldest, since) << user;
    }
  }
}

TEST_F(ConsentServiceTest, StatusCodesOverTheWire) {
  v1::SetConsentResponse response;
  v1::SetConsentRequest bad = Request("alice", v1::LIKE, false);
  bad.clear_request_id();
  grpc::Status s = Set(bad, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("request_id"));

  v1::SetConsentRequest freeze_location = Request("alice", v1::LOCATION, false);
  freeze_location.mutable_changes(0)->mutable_signal()->set_action(v1::FREEZE);
  s = Set(freeze_location, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  v1::SetConsentRequest guardian = Request("alice", v1::LIKE, true);
  guardian.mutable_changes(0)->mutable_guardian_consent()->set_granted(true);
  s = Set(guardian, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  v1::SetConsentRequest ok = Request("alice", v1::LIKE, false);
  ASSERT_TRUE(Set(ok, &response).ok());
  ok.mutable_changes(0)->mutable_signal()->set_action(v1::FREEZE);
  s = Set(ok, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);

  v1::GetErasureStatusRequest status_request;
  status_request.set_receipt_id("alice/999");
  v1::GetErasureStatusResponse status;
  {
    grpc::ClientContext context;
    EXPECT_EQ(
        portrait_.consent->GetErasureStatus(&context, status_request, &status)
            .error_code(),
        grpc::StatusCode::NOT_FOUND);
  }
  v1::GetConsentRequest get;
  get.set_user_id("");
  v1::GetConsentResponse got;
  {
    grpc::ClientContext context;
    EXPECT_EQ(portrait_.consent->GetConsent(&context, get, &got).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  v1::GetConsentHistoryRequest history;
  history.set_user_id("alice");
  v1::GetConsentHistoryResponse entries;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(
        portrait_.consent->GetConsentHistory(&context, history, &entries).ok());
  }
  ASSERT_EQ(entries.entries_size(), 1);
  EXPECT_EQ(entries.entries(0).new_value(), "STRIPPED");
}

TEST_F(ConsentServiceTest, OnDiskErasureCompletesInTheBackground) {
  v1::RecordEventsRequest events;
  for (int i = 0; i < 50; ++i) {
    *events.add_events() =
        ConsentHarness::MakeEvent(absl::StrCat("bg", i), "bob", v1::LIKE,
                                  absl::ToUnixMillis(absl::Now()));
  }
  v1::RecordEventsResponse recorded;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(
        portrait_.ingest->RecordEvents(&context, events, &recorded).ok());
  }
  v1::SetConsentResponse response;
  ASSERT_TRUE(Set(Request("bob", v1::LIKE, false), &response).ok());
  v1::GetErasureStatusRequest request;
  request.set_receipt_id(response.receipt_id());
  v1::GetErasureStatusResponse status;
  auto component_done = [&](const std::string& name) {
    for (const auto& c : status.receipt().components()) {
      if (c.component() == name) return c.state() == v1::DONE;
    }
    return false;
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    grpc::ClientContext context;
    ASSERT_TRUE(
        portrait_.consent->GetErasureStatus(&context, request, &status).ok());
    if (component_done(erasure::kRawEventsOnDisk)) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(component_done(erasure::kRawEventsOnDisk))
      << status.ShortDebugString();
  // The model component waits for a version trained without the data.
  EXPECT_FALSE(component_done(erasure::kTrainedModel));
  EXPECT_FALSE(status.complete());
  auto lineage = portrait_.server->TrainModel();
  ASSERT_TRUE(lineage.ok()) << lineage.status();
  EXPECT_THAT(lineage->receipts_covered(),
              ::testing::Contains(response.receipt_id()));
  grpc::ClientContext context;
  ASSERT_TRUE(
      portrait_.consent->GetErasureStatus(&context, request, &status).ok());
  EXPECT_TRUE(component_done(erasure::kTrainedModel));
  EXPECT_TRUE(status.complete()) << status.ShortDebugString();
}

// On-disk erasure waits for its interval (the revocation does not trigger a
// compaction), then completes.
TEST(DiskErasureScheduleTest, RunsOncePerIntervalNotAfterEachRevocation) {
  TempDir dir;
  FakeClock clock(1'790'000'000'000);
  PortraitServer::Options options =
      TestServerOptions(dir.path() + "/db", &clock);
  options.disk_erasure_interval = absl::Seconds(60);
  TestServer portrait;
  ASSERT_TRUE(portrait.Start(options));
  // The first maintenance run erased (nothing); the next may run in 60 s.
  ASSERT_TRUE(portrait.server->RunMaintenance().ok());

  v1::RecordEventsRequest events;
  *events.add_events() = ConsentHarness::MakeEvent("e1", "carol", v1::LIKE,
                                                   clock.NowMillis() - 1000);
  v1::RecordEventsResponse recorded;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(
        portrait.ingest->RecordEvents(&context, events, &recorded).ok());
  }
  v1::SetConsentResponse stripped;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(portrait.consent
                    ->SetConsent(&context,
                                 SignalRequest("carol", v1::LIKE,
                                               /*grant=*/false, "strip-1"),
                                 &stripped)
                    .ok());
  }
  auto on_disk_state = [&] {
    v1::GetErasureStatusRequest request;
    request.set_receipt_id(stripped.receipt_id());
    v1::GetErasureStatusResponse status;
    grpc::ClientContext context;
    EXPECT_TRUE(
        portrait.consent->GetErasureStatus(&context, request, &status).ok());
    for (const v1::ErasureComponent& c : status.receipt().components()) {
      if (c.component() == erasure::kRawEventsOnDisk) return c.state();
    }
    return v1::ERASURE_STATE_UNSPECIFIED;
  };
  absl::StatusOr<absl::Duration> next = portrait.server->RunMaintenance();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(*next, absl::Seconds(60));
  EXPECT_EQ(on_disk_state(), v1::PENDING);

  clock.AdvanceMillis(60 * 1000);
  ASSERT_TRUE(portrait.server->RunMaintenance().ok());
  EXPECT_EQ(on_disk_state(), v1::DONE);
}

}  // namespace
}  // namespace portrait
