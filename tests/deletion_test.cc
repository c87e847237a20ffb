// Deleting one record through a real server (ProfileService.DeleteRecord):
// the event is gone from storage, the portrait, the shared counts and, once
// the receipt is DONE, the trained model and the database files; the ledger
// names it; a retried delete is answered as replayed; the event sent again
// is REJECTED RECORD_DELETED; every bad request gets its own status code.
// (That the answers then equal a server's that never saw the event is the
// strip-equivalence test's DeleteRecord part.)
#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/consent/erasure_components.h"
#include "tests/temp_dir.h"
#include "tests/test_server.h"

namespace portrait {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 1'790'000'000'000;

class DeletionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(portrait_.Start(dir_.path() + "/db", &clock_,
                                WriteEverySourceRanking(dir_.path() + "/r")));
    v1::UpsertItemsRequest catalog;
    for (int p = 0; p < 4; ++p) {
      v1::Post* post = catalog.add_items()->mutable_post();
      post->set_post_id(absl::StrCat("p", p));
      post->set_created_at_ms(kNow - 3'600'000);
    }
    v1::UpsertItemsResponse upserted;
    grpc::ClientContext context;
    ASSERT_TRUE(
        portrait_.ingest->UpsertItems(&context, catalog, &upserted).ok());
  }

  static v1::Event Like(const std::string& user, const std::string& id,
                        const std::string& post, int64_t at_ms) {
    v1::Event e;
    e.set_event_id(id);
    e.set_user_id(user);
    e.set_signal(v1::LIKE);
    e.set_occurred_at_ms(at_ms);
    e.mutable_target()->set_kind(v1::ITEM_POST);
    e.mutable_target()->set_id(post);
    return e;
  }

  v1::RecordEventsResponse Record(const std::vector<v1::Event>& events) {
    v1::RecordEventsRequest request;
    for (const v1::Event& e : events) *request.add_events() = e;
    v1::RecordEventsResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(
        portrait_.ingest->RecordEvents(&context, request, &response).ok());
    return response;
  }

  static v1::DeleteRecordRequest Deletion(const std::string& user,
                                          v1::Signal signal,
                                          const std::string& event_id) {
    v1::DeleteRecordRequest request;
    request.set_user_id(user);
    request.set_signal(signal);
    request.set_event_id(event_id);
    request.set_requester(v1::REQUESTER_USER);
    request.set_caller_id("deletion-test");
    return request;
  }

  grpc::Status Delete(const v1::DeleteRecordRequest& request,
                      v1::DeleteRecordResponse* response) {
    grpc::ClientContext context;
    return portrait_.profile->DeleteRecord(&context, request, response);
  }

  int64_t Stored(const std::string& user, v1::Signal signal) {
    v1::GetEventSummaryRequest request;
    request.set_user_id(user);
    v1::GetEventSummaryResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(
        portrait_.profile->GetEventSummary(&context, request, &response).ok());
    for (const auto& s : response.signals()) {
      if (s.signal() == signal) return s.count();
    }
    return 0;
  }

  // The labels of the user's LIKE block.
  std::vector<std::string> Liked(const std::string& user) {
    v1::GetProfileRequest request;
    request.set_user_id(user);
    v1::GetProfileResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(portrait_.profile->GetProfile(&context, request, &response).ok());
    std::vector<std::string> labels;
    for (const v1::FeatureBlock& block : response.blocks()) {
      if (block.signal() != v1::LIKE) continue;
      for (const v1::Feature& f : block.features()) labels.push_back(f.label());
    }
    return labels;
  }

  v1::GetErasureStatusResponse Status(const std::string& receipt_id) {
    v1::GetErasureStatusRequest request;
    request.set_receipt_id(receipt_id);
    v1::GetErasureStatusResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(
        portrait_.consent->GetErasureStatus(&context, request, &response).ok());
    return response;
  }

  std::vector<v1::LedgerEntry> Ledger(const std::string& user) {
    v1::GetConsentHistoryRequest request;
    request.set_user_id(user);
    v1::GetConsentHistoryResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(
        portrait_.consent->GetConsentHistory(&context, request, &response).ok());
    return {response.entries().begin(), response.entries().end()};
  }

  TempDir dir_;
  FakeClock clock_{kNow};
  TestServer portrait_;
};

TEST_F(DeletionTest, DeletingALikeErasesAndUnlearnsItWithAReceipt) {
  Record({Like("ann", "like-1", "p1", kNow - 5000),
          Like("ann", "like-2", "p2", kNow - 4000),
          Like("bob", "bob-1", "p1", kNow - 3000)});
  ASSERT_TRUE(portrait_.server->TrainModel().ok());
  ASSERT_THAT(Liked("ann"), testing::UnorderedElementsAre("post:p1", "post:p2"));

  v1::DeleteRecordResponse deleted;
  ASSERT_TRUE(Delete(Deletion("ann", v1::LIKE, "like-1"), &deleted).ok());
  EXPECT_FALSE(deleted.replayed());
  EXPECT_EQ(deleted.receipt_id(), deleted.receipt().receipt_id());
  // The components of a STRIP of LIKE, each naming the one event.
  std::vector<std::string> components;
  for (const v1::ErasureComponent& c : deleted.receipt().components()) {
    components.push_back(c.component());
    EXPECT_EQ(c.signal(), v1::LIKE);
    EXPECT_EQ(c.action(), v1::STRIP);
    EXPECT_EQ(c.event_id(), "like-1");
    const bool later = c.component() == erasure::kTrainedModel ||
                       c.component() == erasure::kRawEventsOnDisk;
    EXPECT_EQ(c.state(), later ? v1::PENDING : v1::DONE) << c.component();
  }
  EXPECT_THAT(components,
              testing::ElementsAre(erasure::kRawEvents, erasure::kPortrait,
                                   erasure::kCoEngagement, erasure::kPopularity,
                                   erasure::kFollowers, erasure::kTrainedModel,
                                   erasure::kRawEventsOnDisk));
  // Gone at once from storage and the portrait; the other like stays.
  EXPECT_EQ(Stored("ann", v1::LIKE), 1);
  EXPECT_THAT(Liked("ann"), testing::ElementsAre("post:p2"));
  EXPECT_EQ(Stored("bob", v1::LIKE), 1);

  // The ledger names the event, not its content.
  const std::vector<v1::LedgerEntry> ledger = Ledger("ann");
  ASSERT_EQ(ledger.size(), 1u);
  EXPECT_EQ(ledger[0].record_deletion().signal(), v1::LIKE);
  EXPECT_EQ(ledger[0].record_deletion().event_id(), "like-1");
  EXPECT_EQ(ledger[0].record_deletion().occurred_at_ms(), kNow - 5000);
  EXPECT_FALSE(ledger[0].has_change());
  EXPECT_EQ(ledger[0].caller_id(), "deletion-test");
  EXPECT_EQ(ledger[0].receipt_id(), deleted.receipt_id());

  // The receipt completes: a model trained without it, the bytes compacted.
  ASSERT_TRUE(portrait_.server->TrainModel().ok());
  ASSERT_TRUE(portrait_.server->RunMaintenance().ok());
  EXPECT_TRUE(Status(deleted.receipt_id()).complete())
      << Status(deleted.receipt_id()).ShortDebugString();

  // After a restart the event stays gone.
  portrait_.Stop();
  ASSERT_TRUE(portrait_.Start(dir_.path() + "/db", &clock_,
                              dir_.path() + "/r"));
  EXPECT_EQ(Stored("ann", v1::LIKE), 1);
  EXPECT_THAT(Liked("ann"), testing::ElementsAre("post:p2"));
}

TEST_F(DeletionTest, ARetriedDeleteIsReplayedAndTheEventCannotComeBack) {
  const v1::Event like = Like("ann", "like-1", "p1", kNow - 5000);
  Record({like});
  v1::DeleteRecordResponse first, again;
  ASSERT_TRUE(Delete(Deletion("ann", v1::LIKE, "like-1"), &first).ok());
  ASSERT_TRUE(Delete(Deletion("ann", v1::LIKE, "like-1"), &again).ok());
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(again.receipt_id(), first.receipt_id());
  EXPECT_EQ(Ledger("ann").size(), 1u) << "a replay appends nothing";

  // The producer retries the event: refused, not stored, not a duplicate.
  const v1::RecordEventsResponse resent = Record({like});
  ASSERT_EQ(resent.results_size(), 1);
  EXPECT_EQ(resent.results(0).outcome(), v1::REJECTED);
  EXPECT_EQ(resent.results(0).reason(), v1::RECORD_DELETED);
  EXPECT_EQ(Stored("ann", v1::LIKE), 0);
  EXPECT_TRUE(Liked("ann").empty());

  // Also after a restart.
  portrait_.Stop();
  ASSERT_TRUE(portrait_.Start(dir_.path() + "/db", &clock_,
                              dir_.path() + "/r"));
  EXPECT_EQ(Record({like}).results(0).reason(), v1::RECORD_DELETED);
  ASSERT_TRUE(Delete(Deletion("ann", v1::LIKE, "like-1"), &again).ok());
  EXPECT_TRUE(again.replayed());
}

TEST_F(DeletionTest, ARecordOfAFrozenSignalCanBeDeleted) {
  Record({Like("ann", "like-1", "p1", kNow - 5000),
          Like("ann", "like-2", "p2", kNow - 4000)});
  v1::SetConsentRequest freeze;
  freeze.set_user_id("ann");
  freeze.set_requester(v1::REQUESTER_USER);
  freeze.set_caller_id("deletion-test");
  freeze.set_request_id("freeze");
  freeze.set_policy_version(1);
  freeze.add_changes()->mutable_signal()->set_signal(v1::LIKE);
  freeze.mutable_changes(0)->mutable_signal()->set_action(v1::FREEZE);
  v1::SetConsentResponse frozen;
  grpc::ClientContext context;
  ASSERT_TRUE(portrait_.consent->SetConsent(&context, freeze, &frozen).ok());
  v1::DeleteRecordResponse deleted;
  ASSERT_TRUE(Delete(Deletion("ann", v1::LIKE, "like-1"), &deleted).ok());
  EXPECT_EQ(Stored("ann", v1::LIKE), 1);
  EXPECT_TRUE(Liked("ann").empty()) << "a frozen block stays unused";
}

TEST_F(DeletionTest, EveryBadRequestHasItsOwnCode) {
  Record({Like("ann", "like-1", "p1", kNow - 5000)});
  const struct {
    v1::DeleteRecordRequest request;
    grpc::StatusCode code;
    std::string message;
  } cases[] = {
      {Deletion("not valid!", v1::LIKE, "like-1"),
       grpc::StatusCode::INVALID_ARGUMENT, "user_id"},
      {Deletion("ann", v1::SIGNAL_UNSPECIFIED, "like-1"),
       grpc::StatusCode::INVALID_ARGUMENT, "signal"},
      {Deletion("ann", static_cast<v1::Signal>(99), "like-1"),
       grpc::StatusCode::INVALID_ARGUMENT, "signal"},
      {Deletion("ann", v1::LIKE, ""), grpc::StatusCode::INVALID_ARGUMENT,
       "event_id"},
      {Deletion("ann", v1::LIKE, std::string(129, 'x')),
       grpc::StatusCode::INVALID_ARGUMENT, "event_id"},
      // Unknown: another id, another signal, another user.
      {Deletion("ann", v1::LIKE, "like-2"), grpc::StatusCode::NOT_FOUND,
       "event_id: user ann has no stored LIKE event like-2"},
      {Deletion("ann", v1::FAVORITE, "like-1"), grpc::StatusCode::NOT_FOUND,
       "FAVORITE"},
      {Deletion("bob", v1::LIKE, "like-1"), grpc::StatusCode::NOT_FOUND,
       "user bob"},
  };
  for (const auto& c : cases) {
    v1::DeleteRecordResponse response;
    const grpc::Status status = Delete(c.request, &response);
    EXPECT_EQ(status.error_code(), c.code) << c.message;
    EXPECT_THAT(status.error_message(), HasSubstr(c.message));
  }
  v1::DeleteRecordRequest no_caller = Deletion("ann", v1::LIKE, "like-1");
  no_caller.clear_caller_id();
  v1::DeleteRecordRequest system = Deletion("ann", v1::LIKE, "like-1");
  system.set_requester(v1::REQUESTER_SYSTEM);
  for (const auto& [request, field] :
       {std::pair{no_caller, "caller_id"}, std::pair{system, "requester"}}) {
    v1::DeleteRecordResponse response;
    const grpc::Status status = Delete(request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr(field));
  }
  // Nothing of the refused requests happened.
  EXPECT_EQ(Stored("ann", v1::LIKE), 1);
  EXPECT_TRUE(Ledger("ann").empty());
}

}  // namespace
}  // namespace portrait
