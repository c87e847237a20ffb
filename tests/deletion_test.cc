// Deleting through a real server.
//
// One record (ProfileService.DeleteRecord): the event is gone from storage,
// the portrait, the shared counts and, once the receipt is DONE, the trained
// model and the database files; the ledger names it; a retried delete is
// answered as replayed; the event sent again is REJECTED RECORD_DELETED.
//
// An account (ProfileService.DeleteUser): every signal's data, the push
// history, the person and their posts are gone; the id is a tombstone that
// refuses events, consent changes, record deletions and catalog items; a
// retry is replayed; the receipt completes.
//
// Every bad request gets its own status code. (That the answers then equal
// a server's that never saw the event or the user is the strip-equivalence
// test's part.)
#include <grpcpp/grpcpp.h>

#include <map>
#include <set>
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
    EXPECT_TRUE(
        portrait_.profile->GetProfile(&context, request, &response).ok());
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
        portrait_.consent->GetConsentHistory(&context, request, &response)
            .ok());
    return {response.entries().begin(), response.entries().end()};
  }

  grpc::Status DeleteUser(const std::string& user,
                          v1::DeleteUserResponse* response,
                          v1::Requester requester = v1::REQUESTER_USER,
                          const std::string& caller = "deletion-test") {
    v1::DeleteUserRequest request;
    request.set_user_id(user);
    request.set_requester(requester);
    request.set_caller_id(caller);
    grpc::ClientContext context;
    return portrait_.profile->DeleteUser(&context, request, response);
  }

  grpc::Status Upsert(const v1::Item& item) {
    v1::UpsertItemsRequest request;
    *request.add_items() = item;
    v1::UpsertItemsResponse response;
    grpc::ClientContext context;
    return portrait_.ingest->UpsertItems(&context, request, &response);
  }

  std::vector<v1::ItemRef> Recommend(const std::string& user,
                                     v1::Surface surface) {
    v1::RecommendRequest request;
    request.set_user_id(user);
    request.set_surface(surface);
    request.set_limit(20);
    v1::RecommendResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(
        portrait_.recommend->Recommend(&context, request, &response).ok());
    std::vector<v1::ItemRef> items;
    for (const auto& item : response.items()) items.push_back(item.item());
    return items;
  }

  TempDir dir_;
  FakeClock clock_{kNow};
  TestServer portrait_;
};

bool Holds(const std::vector<v1::ItemRef>& items, v1::ItemKind kind,
           const std::string& id) {
  for (const v1::ItemRef& item : items) {
    if (item.kind() == kind && item.id() == id) return true;
  }
  return false;
}

TEST_F(DeletionTest, DeletingALikeErasesAndUnlearnsItWithAReceipt) {
  Record({Like("ann", "like-1", "p1", kNow - 5000),
          Like("ann", "like-2", "p2", kNow - 4000),
          Like("bob", "bob-1", "p1", kNow - 3000)});
  ASSERT_TRUE(portrait_.server->TrainModel().ok());
  ASSERT_THAT(Liked("ann"),
              testing::UnorderedElementsAre("post:p1", "post:p2"));

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
  ASSERT_TRUE(
      portrait_.Start(dir_.path() + "/db", &clock_, dir_.path() + "/r"));
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
  ASSERT_TRUE(
      portrait_.Start(dir_.path() + "/db", &clock_, dir_.path() + "/r"));
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

class AccountDeletionTest : public DeletionTest {
 protected:
  void SetUp() override {
    DeletionTest::SetUp();
    // zed: a person with a post of their own, liked, followed, befriended,
    // searching and pushed to.
    v1::UpsertItemsRequest catalog;
    for (const std::string& user : {"ann", "zed"}) {
      catalog.add_items()->mutable_person()->set_user_id(user);
    }
    v1::Post* post = catalog.add_items()->mutable_post();
    post->set_post_id("zed-post");
    post->set_author_id("zed");
    post->set_created_at_ms(kNow - 60'000);
    v1::UpsertItemsResponse upserted;
    grpc::ClientContext context;
    ASSERT_TRUE(
        portrait_.ingest->UpsertItems(&context, catalog, &upserted).ok());
    std::vector<v1::Event> events = {
        Like("zed", "z1", "p1", kNow - 9000),
        Like("zed", "z2", "p2", kNow - 8000),
        Like("ann", "a1", "p1", kNow - 7000),
        Like("ann", "a2", "zed-post", kNow - 6000),
    };
    v1::Event search;
    search.set_event_id("z3");
    search.set_user_id("zed");
    search.set_signal(v1::SEARCH);
    search.set_occurred_at_ms(kNow - 5000);
    search.mutable_search()->set_query("zed's query");
    events.push_back(search);
    v1::Event befriend;
    befriend.set_event_id("z4");
    befriend.set_user_id("zed");
    befriend.set_signal(v1::FRIEND);
    befriend.set_occurred_at_ms(kNow - 4000);
    befriend.mutable_target()->set_kind(v1::ITEM_USER);
    befriend.mutable_target()->set_id("ann");
    events.push_back(befriend);
    v1::Event follow = befriend;  // bob follows zed: zed is a popular person.
    follow.set_event_id("b1");
    follow.set_user_id("bob");
    follow.set_signal(v1::FOLLOW);
    follow.mutable_target()->set_id("zed");
    events.push_back(follow);
    ASSERT_EQ(Record(events).stored(), static_cast<int>(events.size()));
    v1::RecordPushesRequest pushes;
    v1::SentPush* sent = pushes.add_pushes();
    sent->set_user_id("zed");
    sent->set_purpose(v1::PUSH_CONTENT);
    sent->mutable_item()->set_kind(v1::ITEM_POST);
    sent->mutable_item()->set_id("p3");
    sent->set_sent_at_ms(kNow - 1000);
    v1::RecordPushesResponse recorded;
    grpc::ClientContext push_context;
    ASSERT_TRUE(
        portrait_.push->RecordPushes(&push_context, pushes, &recorded).ok());
    ASSERT_TRUE(portrait_.server->TrainModel().ok());
  }

  // How many parts of each kind the user's export has, and its consent.
  std::map<int, int> ExportParts(const std::string& user,
                                 v1::ConsentSnapshot* consent = nullptr) {
    v1::ExportUserDataRequest request;
    request.set_user_id(user);
    grpc::ClientContext context;
    auto reader = portrait_.profile->ExportUserData(&context, request);
    v1::ExportPart part;
    std::map<int, int> parts;
    while (reader->Read(&part)) {
      ++parts[part.part_case()];
      if (part.has_consent() && consent != nullptr) *consent = part.consent();
    }
    EXPECT_TRUE(reader->Finish().ok());
    return parts;
  }
};

TEST_F(AccountDeletionTest, EverythingOfTheUserGoesAndTheIdIsATombstone) {
  ASSERT_TRUE(Holds(Recommend("ann", v1::PEOPLE), v1::ITEM_USER, "zed"));
  ASSERT_TRUE(Holds(Recommend("bob", v1::FEED), v1::ITEM_POST, "zed-post"));
  ASSERT_EQ(ExportParts("zed")[v1::ExportPart::kPush], 1);
  ASSERT_GT(ExportParts("zed")[v1::ExportPart::kEvent], 0);

  v1::DeleteUserResponse deleted;
  ASSERT_TRUE(DeleteUser("zed", &deleted, v1::REQUESTER_PRIVACY_DESK).ok());
  EXPECT_FALSE(deleted.replayed());
  // A STRIP's components for each signal that held data (LIKE, SEARCH,
  // FRIEND, and the rest granted by default), none for the others.
  std::set<v1::Signal> stripped;
  for (const v1::ErasureComponent& c : deleted.receipt().components()) {
    stripped.insert(c.signal());
    EXPECT_EQ(c.action(), v1::STRIP);
  }
  EXPECT_TRUE(stripped.count(v1::LIKE) && stripped.count(v1::SEARCH) &&
              stripped.count(v1::FRIEND));
  EXPECT_FALSE(stripped.count(v1::LOCATION)) << "never granted: no data";

  // Nothing of zed's is stored or served.
  for (v1::Signal signal : {v1::LIKE, v1::SEARCH, v1::FRIEND}) {
    EXPECT_EQ(Stored("zed", signal), 0) << v1::Signal_Name(signal);
  }
  EXPECT_TRUE(Liked("zed").empty());
  // The export of a deleted account: its ledger and receipts, nothing else.
  v1::ConsentSnapshot consent;
  std::map<int, int> exported = ExportParts("zed", &consent);
  EXPECT_TRUE(consent.account_deleted());
  EXPECT_EQ(exported[v1::ExportPart::kPush], 0);
  EXPECT_EQ(exported[v1::ExportPart::kEvent], 0);
  EXPECT_EQ(exported[v1::ExportPart::kContribution], 0);
  EXPECT_GT(exported[v1::ExportPart::kLedgerEntry], 0);
  EXPECT_EQ(exported[v1::ExportPart::kReceipt], 1);
  // Neither offered as a person nor through their post.
  EXPECT_FALSE(Holds(Recommend("ann", v1::PEOPLE), v1::ITEM_USER, "zed"));
  EXPECT_FALSE(Holds(Recommend("bob", v1::FEED), v1::ITEM_POST, "zed-post"));
  // ann's own like of zed's post stays hers.
  EXPECT_EQ(Stored("ann", v1::LIKE), 2);

  // The ledger: a STRIP entry per signal that held data, then the account.
  const std::vector<v1::LedgerEntry> ledger = Ledger("zed");
  ASSERT_FALSE(ledger.empty());
  EXPECT_TRUE(ledger.back().account_deletion());
  EXPECT_EQ(ledger.back().new_value(), "deleted");
  EXPECT_EQ(ledger.back().requester(), v1::REQUESTER_PRIVACY_DESK);
  for (size_t i = 0; i + 1 < ledger.size(); ++i) {
    EXPECT_EQ(ledger[i].change().signal().action(), v1::STRIP);
    EXPECT_EQ(ledger[i].new_value(), "STRIPPED");
    EXPECT_EQ(ledger[i].receipt_id(), deleted.receipt_id());
  }

  // The tombstone refuses everything that would bring zed back.
  const v1::RecordEventsResponse late =
      Record({Like("zed", "z9", "p3", kNow - 100)});
  EXPECT_EQ(late.results(0).reason(), v1::ACCOUNT_DELETED);
  v1::SetConsentRequest grant;
  grant.set_user_id("zed");
  grant.set_requester(v1::REQUESTER_USER);
  grant.set_caller_id("deletion-test");
  grant.set_request_id("after-deletion");
  grant.set_policy_version(1);
  grant.add_changes()->mutable_signal()->set_signal(v1::LIKE);
  grant.mutable_changes(0)->mutable_signal()->set_grant(true);
  v1::SetConsentResponse granted;
  grpc::ClientContext consent_context;
  EXPECT_EQ(portrait_.consent->SetConsent(&consent_context, grant, &granted)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::DeleteRecordResponse record;
  EXPECT_EQ(Delete(Deletion("zed", v1::LIKE, "z1"), &record).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::Item person;
  person.mutable_person()->set_user_id("zed");
  const grpc::Status person_status = Upsert(person);
  EXPECT_EQ(person_status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(person_status.error_message(),
              HasSubstr("items[0].person.user_id: the account of zed"));
  v1::Item post;
  post.mutable_post()->set_post_id("zed-post-2");
  post.mutable_post()->set_author_id("zed");
  post.mutable_post()->set_created_at_ms(kNow);
  const grpc::Status post_status = Upsert(post);
  EXPECT_EQ(post_status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(post_status.error_message(), HasSubstr("post.author_id"));

  // A retry is replayed; the receipt completes; a restart changes nothing.
  v1::DeleteUserResponse again;
  ASSERT_TRUE(DeleteUser("zed", &again).ok());
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(again.receipt_id(), deleted.receipt_id());
  EXPECT_EQ(Ledger("zed").size(), ledger.size());
  ASSERT_TRUE(portrait_.server->TrainModel().ok());
  ASSERT_TRUE(portrait_.server->RunMaintenance().ok());
  EXPECT_TRUE(Status(deleted.receipt_id()).complete())
      << Status(deleted.receipt_id()).ShortDebugString();
  portrait_.Stop();
  ASSERT_TRUE(
      portrait_.Start(dir_.path() + "/db", &clock_, dir_.path() + "/r"));
  EXPECT_FALSE(Holds(Recommend("ann", v1::PEOPLE), v1::ITEM_USER, "zed"));
  EXPECT_FALSE(Holds(Recommend("bob", v1::FEED), v1::ITEM_POST, "zed-post"));
  EXPECT_EQ(Stored("zed", v1::LIKE), 0);
  EXPECT_EQ(Record({Like("zed", "z10", "p3", kNow - 100)}).results(0).reason(),
            v1::ACCOUNT_DELETED);
}

TEST_F(AccountDeletionTest, AnUnknownUserIsTombstonedToo) {
  v1::DeleteUserResponse deleted;
  ASSERT_TRUE(DeleteUser("nobody", &deleted).ok());
  EXPECT_EQ(
      Record({Like("nobody", "n1", "p1", kNow - 100)}).results(0).reason(),
      v1::ACCOUNT_DELETED);
  EXPECT_TRUE(Ledger("nobody").back().account_deletion());
}

TEST_F(AccountDeletionTest, MalformedDeletionsNameTheFieldAndDeleteNothing) {
  const struct {
    std::string user;
    v1::Requester requester;
    std::string caller;
    std::string field;
  } cases[] = {
      {"not valid!", v1::REQUESTER_USER, "desk", "user_id"},
      {"zed", v1::REQUESTER_SYSTEM, "desk", "requester"},
      {"zed", v1::REQUESTER_UNSPECIFIED, "desk", "requester"},
      {"zed", v1::REQUESTER_USER, "", "caller_id"},
  };
  for (const auto& c : cases) {
    v1::DeleteUserResponse response;
    const grpc::Status status =
        DeleteUser(c.user, &response, c.requester, c.caller);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.field;
    EXPECT_THAT(status.error_message(), HasSubstr(c.field));
  }
  EXPECT_EQ(Stored("zed", v1::LIKE), 2);
  EXPECT_TRUE(Holds(Recommend("ann", v1::PEOPLE), v1::ITEM_USER, "zed"));
}

}  // namespace
}  // namespace portrait
