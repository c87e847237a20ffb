// The trained model's lineage through a real server: versions, what each
// covered, receipts waiting and completed, persistence across a restart, and
// retraining on unchanged data giving the same answers.
#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "portrait/v1/consent.grpc.pb.h"
#include "portrait/v1/ingest.grpc.pb.h"
#include "portrait/v1/recommend.grpc.pb.h"
#include "services/consent/erasure_components.h"
#include "tests/consent_harness.h"
#include "tests/temp_dir.h"
#include "tests/test_server.h"

namespace portrait {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;

constexpr int64_t kNow = 1'790'000'000'000;

class ModelLineageTest : public ::testing::Test {
 protected:
  void Start() { ASSERT_TRUE(portrait_.Start(dir_.path() + "/db", &clock_)); }

  void Load() {
    v1::UpsertItemsRequest catalog;
    for (int p = 0; p < 12; ++p) {
      v1::Post* post = catalog.add_items()->mutable_post();
      post->set_post_id(absl::StrCat("post-", p));
      post->set_created_at_ms(kNow - 1000);
    }
    v1::UpsertItemsResponse upserted;
    grpc::ClientContext c1;
    ASSERT_TRUE(portrait_.ingest->UpsertItems(&c1, catalog, &upserted).ok());
    v1::RecordEventsRequest events;
    int n = 0;
    for (int u = 0; u < 8; ++u) {
      for (int p = (u % 2) * 6; p < (u % 2) * 6 + 5; ++p) {
        v1::Event e = ConsentHarness::MakeEvent(
            absl::StrCat("e", n++), absl::StrCat("u", u), v1::LIKE, kNow - 100);
        e.mutable_target()->set_id(absl::StrCat("post-", p + (u % 3 == 0)));
        *events.add_events() = e;
      }
    }
    v1::RecordEventsResponse recorded;
    grpc::ClientContext c2;
    ASSERT_TRUE(portrait_.ingest->RecordEvents(&c2, events, &recorded).ok());
  }

  v1::RecommendResponse Recommend(const std::string& user) {
    v1::RecommendRequest request;
    request.set_user_id(user);
    request.set_surface(v1::FEED);
    request.set_limit(5);
    v1::RecommendResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(
        portrait_.recommend->Recommend(&context, request, &response).ok());
    return response;
  }

  TempDir dir_;
  FakeClock clock_{kNow};
  TestServer portrait_;
};

TEST_F(ModelLineageTest, VersionsCoverReceiptsAndSurviveRestart) {
  Start();
  Load();
  auto first = portrait_.server->TrainModel();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->version(), 1);
  EXPECT_EQ(first->users(), 8);
  EXPECT_EQ(first->interactions(), 40);
  EXPECT_THAT(first->receipts_covered(), IsEmpty());
  const v1::RecommendResponse before = Recommend("u0");
  EXPECT_THAT(before.model_versions(), Contains("ials:1"));
  bool embedding = false;
  for (const auto& item : before.items()) {
    for (const auto& reason : item.reasons())
      embedding |= reason.source() == v1::EMBEDDING;
  }
  EXPECT_TRUE(embedding) << before.ShortDebugString();

  // Retraining unchanged data gives the same model: the same answers.
  ASSERT_TRUE(portrait_.server->TrainModel().ok());
  EXPECT_EQ(Recommend("u0").items(0).SerializeAsString(),
            before.items(0).SerializeAsString());

  v1::SetConsentRequest strip;
  strip.set_user_id("u1");
  strip.set_requester(v1::REQUESTER_USER);
  strip.set_caller_id("lineage-test");
  strip.set_request_id("strip-like");
  strip.set_policy_version(1);
  strip.add_changes()->mutable_signal()->set_signal(v1::LIKE);
  v1::SetConsentResponse stripped;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(portrait_.consent->SetConsent(&context, strip, &stripped).ok());
  }
  bool pending = false;
  for (const auto& c : stripped.receipt().components()) {
    if (c.component() == erasure::kTrainedModel) {
      pending = c.state() == v1::PENDING;
      EXPECT_EQ(c.deadline_ms(), kNow + 60'000);
    }
  }
  EXPECT_TRUE(pending);
  auto third = portrait_.server->TrainModel();
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->version(), 3);
  EXPECT_EQ(third->users(), 7);
  EXPECT_THAT(third->receipts_covered(), Contains(stripped.receipt_id()));
  v1::GetErasureStatusRequest status_request;
  status_request.set_receipt_id(stripped.receipt_id());
  v1::GetErasureStatusResponse status;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(
        portrait_.consent->GetErasureStatus(&context, status_request, &status)
            .ok());
  }
  for (const auto& c : status.receipt().components()) {
    if (c.component() == erasure::kTrainedModel) {
      EXPECT_EQ(c.state(), v1::DONE);
    }
  }
  // Nothing waits any more: the next version covers nothing.
  const v1::RecommendResponse served = Recommend("u0");

  portrait_.Stop();
  Start();
  const v1::RecommendResponse after = Recommend("u0");
  EXPECT_THAT(after.model_versions(), Contains("ials:3"));
  EXPECT_EQ(after.SerializeAsString(), served.SerializeAsString());
  auto fourth = portrait_.server->TrainModel();
  ASSERT_TRUE(fourth.ok());
  EXPECT_EQ(fourth->version(), 4);
  EXPECT_THAT(fourth->receipts_covered(), IsEmpty());
}

}  // namespace
}  // namespace portrait
