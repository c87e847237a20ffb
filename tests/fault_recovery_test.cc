// Storage faults through a real server over RocksDB: while the disk is full,
// or fsync fails, every write is refused with its status code and leaves
// nothing half-written; reads keep being served; once the fault clears, the
// same requests succeed.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/storage/fault_injecting_store.h"
#include "services/storage/rocksdb_store.h"
#include "tests/temp_dir.h"
#include "tests/test_server.h"

namespace portrait {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;

class FaultRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rocks = RocksDbStore::Open({.path = dir_.path() + "/db"});
    ASSERT_TRUE(rocks.ok()) << rocks.status();
    rocks_ = *std::move(rocks);
    faulty_ = std::make_unique<FaultInjectingStore>(rocks_.get());
    PortraitServer::Options options =
        TestServerOptions(dir_.path() + "/unused", &clock_);
    options.store = faulty_.get();
    ASSERT_TRUE(portrait_.Start(options));
    v1::UpsertItemsRequest catalog;
    catalog.add_items()->mutable_post()->set_post_id("p1");
    catalog.mutable_items(0)->mutable_post()->set_created_at_ms(kNow);
    v1::UpsertItemsResponse upserted;
    grpc::ClientContext context;
    ASSERT_TRUE(
        portrait_.ingest->UpsertItems(&context, catalog, &upserted).ok());
    ASSERT_TRUE(Like("first").ok());
  }

  void TearDown() override {
    portrait_.Stop();
    faulty_.reset();
    rocks_.reset();
  }

  grpc::Status Like(const std::string& id) {
    v1::RecordEventsRequest request;
    v1::Event* e = request.add_events();
    e->set_event_id(id);
    e->set_user_id("ann");
    e->set_signal(v1::LIKE);
    e->mutable_target()->set_kind(v1::ITEM_POST);
    e->mutable_target()->set_id("p1");
    e->set_occurred_at_ms(kNow);
    v1::RecordEventsResponse response;
    grpc::ClientContext context;
    grpc::Status status =
        portrait_.ingest->RecordEvents(&context, request, &response);
    if (status.ok() && response.stored() + response.duplicates() != 1) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "not stored");
    }
    return status;
  }

  grpc::Status StripLikes() {
    const v1::SetConsentRequest request =
        UserConsentRequest("ann", "strip-likes", "fault-test",
                           ChangeOfSignal(v1::LIKE, false, v1::STRIP));
    v1::SetConsentResponse response;
    grpc::ClientContext context;
    return portrait_.consent->SetConsent(&context, request, &response);
  }

  int64_t StoredLikes() {
    v1::GetEventSummaryRequest request;
    request.set_user_id("ann");
    v1::GetEventSummaryResponse summary;
    grpc::ClientContext context;
    EXPECT_TRUE(
        portrait_.profile->GetEventSummary(&context, request, &summary).ok());
    return summary.total_events();
  }

  v1::ConsentState LikeState() {
    v1::GetConsentRequest request;
    request.set_user_id("ann");
    v1::GetConsentResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(
        portrait_.consent->GetConsent(&context, request, &response).ok());
    for (const auto& s : response.consent().signals()) {
      if (s.signal() == v1::LIKE) return s.state();
    }
    return v1::CONSENT_STATE_UNSPECIFIED;
  }

  // Reads that must keep working during a write fault.
  void ExpectReadsServed() {
    EXPECT_EQ(StoredLikes(), 1);
    EXPECT_EQ(LikeState(), v1::GRANTED);
    v1::RecommendRequest request;
    request.set_user_id("ann");
    request.set_surface(v1::FEED);
    request.set_limit(5);
    v1::RecommendResponse response;
    grpc::ClientContext c1;
    EXPECT_TRUE(portrait_.recommend->Recommend(&c1, request, &response).ok());
    auto health = grpc::health::v1::Health::NewStub(portrait_.channel);
    grpc::health::v1::HealthCheckResponse serving;
    grpc::ClientContext c2;
    EXPECT_TRUE(
        health->Check(&c2, grpc::health::v1::HealthCheckRequest(), &serving)
            .ok());
  }

  TempDir dir_;
  FakeClock clock_{kNow};
  std::unique_ptr<RocksDbStore> rocks_;
  std::unique_ptr<FaultInjectingStore> faulty_;
  TestServer portrait_;
};

TEST_F(FaultRecoveryTest, DiskFullRefusesWritesServesReadsAndRecovers) {
  faulty_->FailAllWrites(
      absl::ResourceExhaustedError("IO error: No space left on device"));
  EXPECT_EQ(Like("second").error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(StripLikes().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  v1::RecordPushesRequest pushes;
  v1::SentPush* push = pushes.add_pushes();
  push->set_user_id("ann");
  push->mutable_item()->set_kind(v1::ITEM_POST);
  push->mutable_item()->set_id("p1");
  push->set_purpose(v1::PUSH_CONTENT);
  push->set_sent_at_ms(kNow);
  v1::RecordPushesResponse recorded;
  grpc::ClientContext context;
  EXPECT_EQ(
      portrait_.push->RecordPushes(&context, pushes, &recorded).error_code(),
      grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Nothing of the refused writes happened, and reads are served.
  ExpectReadsServed();

  faulty_->ClearFaults();
  EXPECT_TRUE(Like("second").ok());
  EXPECT_EQ(StoredLikes(), 2);
  EXPECT_TRUE(StripLikes().ok());
  EXPECT_EQ(LikeState(), v1::STRIPPED);
  EXPECT_EQ(StoredLikes(), 0);
}

TEST_F(FaultRecoveryTest, FailedFsyncRefusesWritesAndTheRetryStoresOnce) {
  faulty_->FailSyncedWrites(absl::UnavailableError("IO error: fsync failed"));
  EXPECT_EQ(Like("second").error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(StripLikes().error_code(), grpc::StatusCode::UNAVAILABLE);
  ExpectReadsServed();
  faulty_->ClearFaults();
  // The caller retries what failed: each is applied once.
  EXPECT_TRUE(Like("second").ok());
  EXPECT_TRUE(Like("second").ok());  // DUPLICATE now.
  EXPECT_EQ(StoredLikes(), 2);
  EXPECT_TRUE(StripLikes().ok());
  EXPECT_EQ(StoredLikes(), 0);
  // A restart over the same database agrees.
  portrait_.Stop();
  PortraitServer::Options options =
      TestServerOptions(dir_.path() + "/unused", &clock_);
  options.store = faulty_.get();
  ASSERT_TRUE(portrait_.Start(options));
  EXPECT_EQ(StoredLikes(), 0);
  EXPECT_EQ(LikeState(), v1::STRIPPED);
}

}  // namespace
}  // namespace portrait
