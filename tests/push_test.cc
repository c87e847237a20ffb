// PushService end to end: a real server over RocksDB, driven over gRPC by
// the random world; the history survives a restart, a stream resumes from
// a cursor, a consent change through ConsentService applies to the next
// push call, and malformed requests get INVALID_ARGUMENT. Push feedback is
// engagement (opened) or refusal (dismissed) under its own consent.
#include <grpcpp/grpcpp.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "config/ranking_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/random_world.h"
#include "tests/temp_dir.h"
#include "tests/test_server.h"

namespace portrait {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Key;
using ::testing::Not;

// 08:13 in Shanghai (the default time zone), after the quiet hours.
constexpr int64_t kNow = RandomWorld::kStartMs + 10 * 3'600'000;

class PushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(portrait_.Start(dir_.path() + "/db", &clock_));
    RandomWorld world(/*seed=*/11, v1::LIKE);
    v1::UpsertItemsResponse upserted;
    grpc::ClientContext c1;
    ASSERT_TRUE(
        portrait_.ingest->UpsertItems(&c1, world.Catalog(), &upserted).ok());
    v1::RecordEventsRequest events;
    for (const v1::Event& e : world.Batch(300, kNow - 600'000, 0)) {
      *events.add_events() = e;
    }
    v1::RecordEventsResponse recorded;
    grpc::ClientContext c2;
    ASSERT_TRUE(portrait_.ingest->RecordEvents(&c2, events, &recorded).ok());
  }

  grpc::Status Candidates(const std::vector<std::string>& users,
                          v1::GetPushCandidatesResponse* response,
                          int limit = 3) {
    v1::GetPushCandidatesRequest request;
    for (const std::string& u : users) request.add_user_ids(u);
    request.set_purpose(v1::PUSH_CONTENT);
    request.set_limit_per_user(limit);
    grpc::ClientContext context;
    return portrait_.push->GetPushCandidates(&context, request, response);
  }

  std::vector<v1::UserPushCandidates> Stream(const std::string& cursor,
                                             grpc::Status* status) {
    v1::StreamPushCandidatesRequest request;
    request.mutable_segment()->set_all_users(true);
    request.set_purpose(v1::PUSH_CONTENT);
    request.set_cursor(cursor);
    grpc::ClientContext context;
    auto reader = portrait_.push->StreamPushCandidates(&context, request);
    std::vector<v1::UserPushCandidates> messages;
    v1::UserPushCandidates message;
    while (reader->Read(&message)) messages.push_back(message);
    *status = reader->Finish();
    return messages;
  }

  TempDir dir_;
  FakeClock clock_{kNow};
  TestServer portrait_;
};

TEST_F(PushTest, PushedItemsAreNeverOfferedAgainAlsoAfterARestart) {
  v1::GetPushCandidatesResponse first;
  ASSERT_TRUE(Candidates({"u0", "u1", "u2"}, &first).ok());
  ASSERT_EQ(first.users_size(), 3);
  EXPECT_EQ(first.users(1).user_id(), "u1");
  ASSERT_GT(first.users(0).candidates_size(), 0);
  const v1::ItemRef pushed = first.users(0).candidates(0).item();

  v1::RecordPushesRequest report;
  v1::SentPush* sent = report.add_pushes();
  sent->set_user_id("u0");
  *sent->mutable_item() = pushed;
  sent->set_purpose(v1::PUSH_CONTENT);
  sent->set_sent_at_ms(kNow);
  for (int attempt = 0; attempt < 2; ++attempt) {
    v1::RecordPushesResponse recorded;
    grpc::ClientContext context;
    ASSERT_TRUE(portrait_.push->RecordPushes(&context, report, &recorded).ok());
    EXPECT_EQ(recorded.recorded(), attempt == 0 ? 1 : 0);
    EXPECT_EQ(recorded.duplicates(), attempt == 0 ? 0 : 1);
  }
  portrait_.Stop();
  ASSERT_TRUE(portrait_.Start(dir_.path() + "/db", &clock_));
  v1::GetPushCandidatesResponse again;
  ASSERT_TRUE(Candidates({"u0"}, &again, 20).ok());
  for (const auto& c : again.users(0).candidates()) {
    EXPECT_NE(c.item().id(), pushed.id());
  }
}

TEST_F(PushTest, AStreamResumesFromAnyMessagesCursor) {
  grpc::Status status;
  const std::vector<v1::UserPushCandidates> all = Stream("", &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_GE(all.size(), 6u);
  const std::vector<v1::UserPushCandidates> rest =
      Stream(all[2].cursor(), &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(rest.size(), all.size() - 3);
  for (size_t i = 0; i < rest.size(); ++i) {
    EXPECT_EQ(rest[i].SerializeAsString(), all[i + 3].SerializeAsString());
  }
  Stream("garbage", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("cursor"));
}

TEST_F(PushTest, TurningPersonalisedPushOffAppliesToTheNextCall) {
  v1::GetPushCandidatesResponse before;
  ASSERT_TRUE(Candidates({"u4"}, &before).ok());
  EXPECT_TRUE(before.users(0).personalized());
  const v1::SetConsentRequest off =
      UserConsentRequest("u4", "push-off", "push-test",
                         ChangeOfPurpose(v1::PERSONALIZED_PUSH, false));
  v1::SetConsentResponse set;
  grpc::ClientContext context;
  ASSERT_TRUE(portrait_.consent->SetConsent(&context, off, &set).ok());
  v1::GetPushCandidatesResponse after;
  ASSERT_TRUE(Candidates({"u4"}, &after).ok());
  EXPECT_FALSE(after.users(0).personalized());
  EXPECT_EQ(after.users(0).non_personalized_reason(),
            "PERSONALIZED_PUSH is off");
}

TEST_F(PushTest, MalformedRequestsAreInvalidArgument) {
  v1::GetPushCandidatesResponse response;
  const grpc::Status status = Candidates({"u0"}, &response, 21);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("limit_per_user"));
  v1::RecordPushesResponse recorded;
  grpc::ClientContext context;
  const grpc::Status empty = portrait_.push->RecordPushes(
      &context, v1::RecordPushesRequest(), &recorded);
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(empty.error_message(), HasSubstr("pushes"));
}

// A store 70 m from the check-in point, with a 200 m radius.
v1::UpsertItemsRequest Shop() {
  v1::UpsertItemsRequest request;
  v1::Brand* shop = request.add_items()->mutable_brand();
  shop->set_brand_id("shop");
  shop->mutable_location()->set_latitude(31.2304);
  shop->mutable_location()->set_longitude(121.4737);
  shop->set_check_in_radius_m(200);
  return request;
}

class CheckInTest : public PushTest {
 protected:
  void SetUp() override {
    PushTest::SetUp();
    v1::UpsertItemsResponse upserted;
    grpc::ClientContext context;
    ASSERT_TRUE(
        portrait_.ingest->UpsertItems(&context, Shop(), &upserted).ok());
  }

  void GrantLocation(const std::string& user) {
    const v1::SetConsentRequest grant =
        UserConsentRequest(user, absl::StrCat("grant-location-", user),
                           "push-test", ChangeOfSignal(v1::LOCATION, true));
    v1::SetConsentResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(portrait_.consent->SetConsent(&context, grant, &response).ok());
  }

  grpc::Status CheckIn(const std::string& user, const std::string& merchant,
                       double latitude, double longitude,
                       v1::CheckInResponse* response,
                       const std::string& id = "c1") {
    v1::CheckInRequest request;
    request.set_user_id(user);
    request.set_merchant_id(merchant);
    request.set_latitude(latitude);
    request.set_longitude(longitude);
    request.set_check_in_id(id);
    grpc::ClientContext context;
    return portrait_.push->CheckIn(&context, request, response);
  }

  int64_t LocationEvents(const std::string& user) {
    v1::GetEventSummaryRequest request;
    request.set_user_id(user);
    v1::GetEventSummaryResponse summary;
    grpc::ClientContext context;
    EXPECT_TRUE(
        portrait_.profile->GetEventSummary(&context, request, &summary).ok());
    for (const auto& s : summary.signals()) {
      if (s.signal() == v1::LOCATION) return s.count();
    }
    return 0;
  }
};

TEST_F(CheckInTest, AnswersOnlyWhileLocationIsGrantedAndKeepsNothing) {
  v1::CheckInResponse response;
  // u5 never granted LOCATION (the random world grants nobody).
  grpc::Status status = CheckIn("u5", "shop", 31.2310, 121.4740, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("LOCATION is not granted"));

  GrantLocation("u5");
  const int64_t before = LocationEvents("u5");
  ASSERT_TRUE(CheckIn("u5", "shop", 31.2310, 121.4740, &response).ok());
  EXPECT_TRUE(response.within_radius());
  EXPECT_EQ(response.stored(), v1::CHECK_IN_STORED_NOTHING);
  ASSERT_TRUE(CheckIn("u5", "shop", 31.2404, 121.4737, &response).ok());
  EXPECT_FALSE(response.within_radius()) << "1.1 km away";
  EXPECT_EQ(LocationEvents("u5"), before) << "the shipped policy keeps nothing";

  EXPECT_EQ(CheckIn("u5", "nowhere", 31.2, 121.4, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  status = CheckIn("u5", "b0", 31.2, 121.4, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("no store location"));
  status = CheckIn("u5", "shop", 95, 121.4, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("location.latitude"));
}

TEST_F(CheckInTest, KeepsOnlyTheCellWhenConfiguredAndAStripErasesIt) {
  v1::RankingConfig config = RankingConfig::Shipped().proto();
  config.mutable_push()->set_check_in_storage(v1::CHECK_IN_KEEP_CELL);
  const std::string ranking = dir_.path() + "/ranking";
  ASSERT_TRUE(WriteFile(ranking, config.DebugString()));
  portrait_.Stop();
  ASSERT_TRUE(portrait_.Start(dir_.path() + "/db", &clock_, ranking));
  GrantLocation("u5");
  const int64_t before = LocationEvents("u5");
  v1::CheckInResponse response;
  for (int attempt = 0; attempt < 2; ++attempt) {  // A retry stores nothing.
    ASSERT_TRUE(CheckIn("u5", "shop", 31.2310, 121.4740, &response).ok());
    EXPECT_EQ(response.stored(), v1::CHECK_IN_STORED_CELL);
    EXPECT_EQ(response.stored_cell(), "312,1214");
    EXPECT_EQ(LocationEvents("u5"), before + 1);
  }
  v1::GetProfileRequest profile_request;
  profile_request.set_user_id("u5");
  v1::GetProfileResponse profile;
  grpc::ClientContext profile_context;
  ASSERT_TRUE(
      portrait_.profile->GetProfile(&profile_context, profile_request, &profile)
          .ok());
  EXPECT_THAT(profile.ShortDebugString(), HasSubstr("cell:312,1214"));
  EXPECT_THAT(profile.ShortDebugString(), Not(HasSubstr("31.231")))
      << "only the cell is kept";

  const v1::SetConsentRequest strip =
      UserConsentRequest("u5", "strip-location", "push-test",
                         ChangeOfSignal(v1::LOCATION, false, v1::STRIP));
  v1::SetConsentResponse stripped;
  grpc::ClientContext context;
  ASSERT_TRUE(portrait_.consent->SetConsent(&context, strip, &stripped).ok());
  EXPECT_EQ(LocationEvents("u5"), 0);
  EXPECT_EQ(
      CheckIn("u5", "shop", 31.2310, 121.4740, &response, "c2").error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
}

// Push feedback in a small world: posts p0..p5; b liked p1 and p2, c liked
// p1 and p3, so whoever engages with p1 is offered p2 and p3 by
// co-engagement.
class PushFeedbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(portrait_.Start(dir_.path() + "/db", &clock_));
    v1::UpsertItemsRequest catalog;
    for (int p = 0; p < 6; ++p) {
      v1::Post* post = catalog.add_items()->mutable_post();
      post->set_post_id(absl::StrCat("p", p));
      post->set_created_at_ms(kNow - 3'600'000);
    }
    v1::UpsertItemsResponse upserted;
    grpc::ClientContext context;
    ASSERT_TRUE(
        portrait_.ingest->UpsertItems(&context, catalog, &upserted).ok());
    v1::RecordEventsRequest likes;
    for (const auto& [user, post] : std::vector<std::pair<std::string, int>>{
             {"b", 1}, {"b", 2}, {"c", 1}, {"c", 3}}) {
      v1::Event* e = likes.add_events();
      e->set_event_id(absl::StrCat("like-", user, post));
      e->set_user_id(user);
      e->set_signal(v1::LIKE);
      e->mutable_target()->set_kind(v1::ITEM_POST);
      e->mutable_target()->set_id(absl::StrCat("p", post));
      e->set_occurred_at_ms(kNow - 60'000);
    }
    v1::RecordEventsResponse recorded;
    grpc::ClientContext c2;
    ASSERT_TRUE(portrait_.ingest->RecordEvents(&c2, likes, &recorded).ok());
    ASSERT_EQ(recorded.stored(), 4);
  }

  static v1::Event Feedback(const std::string& id, const std::string& user,
                            const std::string& post,
                            v1::PushReaction reaction) {
    v1::Event e;
    e.set_event_id(id);
    e.set_user_id(user);
    e.set_signal(v1::PUSH_FEEDBACK);
    e.mutable_target()->set_kind(v1::ITEM_POST);
    e.mutable_target()->set_id(post);
    e.set_occurred_at_ms(kNow - 1'000);
    e.mutable_push_feedback()->set_reaction(reaction);
    return e;
  }

  grpc::Status Report(const std::vector<v1::Event>& events,
                      v1::RecordEventsResponse* response) {
    v1::RecordPushFeedbackRequest request;
    for (const v1::Event& e : events) *request.add_events() = e;
    grpc::ClientContext context;
    return portrait_.push->RecordPushFeedback(&context, request, response);
  }

  // The user's feed: post id -> the signals its reasons cite.
  std::map<std::string, std::set<int>> Feed(const std::string& user) {
    v1::RecommendRequest request;
    request.set_user_id(user);
    request.set_surface(v1::FEED);
    request.set_limit(10);
    v1::RecommendResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(
        portrait_.recommend->Recommend(&context, request, &response).ok());
    std::map<std::string, std::set<int>> feed;
    for (const auto& item : response.items()) {
      std::set<int>& signals = feed[item.item().id()];
      for (const auto& reason : item.reasons()) {
        signals.insert(reason.signals().begin(), reason.signals().end());
      }
    }
    return feed;
  }

  static bool CitesPushFeedback(
      const std::map<std::string, std::set<int>>& feed) {
    for (const auto& [post, signals] : feed) {
      if (signals.count(v1::PUSH_FEEDBACK) > 0) return true;
    }
    return false;
  }

  std::vector<std::string> PushCandidates(const std::string& user) {
    v1::GetPushCandidatesRequest request;
    request.add_user_ids(user);
    request.set_purpose(v1::PUSH_CONTENT);
    request.set_limit_per_user(10);
    v1::GetPushCandidatesResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(
        portrait_.push->GetPushCandidates(&context, request, &response).ok());
    std::vector<std::string> ids;
    for (const auto& c : response.users(0).candidates())
      ids.push_back(c.item().id());
    return ids;
  }

  void StripPushFeedback(const std::string& user) {
    const v1::SetConsentRequest request =
        UserConsentRequest(user, "strip-feedback", "push-test",
                           ChangeOfSignal(v1::PUSH_FEEDBACK, false, v1::STRIP));
    v1::SetConsentResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(
        portrait_.consent->SetConsent(&context, request, &response).ok());
  }

  TempDir dir_;
  FakeClock clock_{kNow};
  TestServer portrait_;
};

TEST_F(PushFeedbackTest,
       AnOpenedPushCountsAsEngagementForThePortraitAndModels) {
  EXPECT_FALSE(CitesPushFeedback(Feed("a")));  // Nothing to go by yet.
  v1::RecordEventsResponse response;
  ASSERT_TRUE(
      Report({Feedback("f1", "a", "p1", v1::PUSH_OPENED)}, &response).ok());
  ASSERT_EQ(response.stored(), 1) << response.ShortDebugString();
  // Co-engagement (a shared model) now offers p2 and p3 for it, citing it.
  const auto feed = Feed("a");
  for (const char* post : {"p2", "p3"}) {
    ASSERT_THAT(feed, Contains(Key(post)));
    EXPECT_THAT(feed.at(post), Contains(v1::PUSH_FEEDBACK)) << post;
  }
  EXPECT_THAT(feed, Not(Contains(Key("p1"))));  // Already seen.
  // And the trained model learns from it.
  ASSERT_TRUE(portrait_.server->TrainModel().ok());
  v1::RecommendRequest request;
  request.set_user_id("a");
  request.set_surface(v1::FEED);
  request.set_limit(10);
  v1::RecommendResponse trained;
  grpc::ClientContext context;
  ASSERT_TRUE(portrait_.recommend->Recommend(&context, request, &trained).ok());
  bool embedding = false;
  for (const auto& item : trained.items()) {
    for (const auto& reason : item.reasons()) {
      if (reason.source() != v1::EMBEDDING) continue;
      embedding = true;
      EXPECT_THAT(reason.signals(), ElementsAre(v1::PUSH_FEEDBACK));
    }
  }
  EXPECT_TRUE(embedding) << trained.ShortDebugString();
}

TEST_F(PushFeedbackTest, ADismissedItemIsOfferedNoMore) {
  v1::RecordEventsResponse response;
  ASSERT_TRUE(
      Report({Feedback("f1", "a", "p1", v1::PUSH_OPENED)}, &response).ok());
  ASSERT_THAT(Feed("a"), Contains(Key("p3")));
  ASSERT_THAT(PushCandidates("a"), Contains("p3"));
  ASSERT_TRUE(
      Report({Feedback("f2", "a", "p3", v1::PUSH_DISMISSED)}, &response).ok());
  ASSERT_EQ(response.stored(), 1);
  EXPECT_THAT(Feed("a"), Not(Contains(Key("p3"))));
  EXPECT_THAT(PushCandidates("a"), Not(Contains("p3")));
  EXPECT_THAT(Feed("a"), Contains(Key("p2")));
  // A dismissal is no interest: it offers nothing co-engaged with p3.
  ASSERT_TRUE(
      Report({Feedback("f3", "b", "p3", v1::PUSH_DISMISSED)}, &response).ok());
  EXPECT_FALSE(CitesPushFeedback(Feed("b")));
}

TEST_F(PushFeedbackTest, DismissingAPersonDoesNotHideTheirPosts) {
  v1::UpsertItemsRequest catalog;
  catalog.add_items()->mutable_person()->set_user_id("e");
  v1::Post* post = catalog.add_items()->mutable_post();
  post->set_post_id("p5");
  post->set_author_id("e");
  post->set_created_at_ms(kNow - 3'600'000);
  v1::UpsertItemsResponse upserted;
  grpc::ClientContext context;
  ASSERT_TRUE(portrait_.ingest->UpsertItems(&context, catalog, &upserted).ok());
  ASSERT_THAT(Feed("a"), Contains(Key("p5")));
  v1::Event dismissed = Feedback("f1", "a", "e", v1::PUSH_DISMISSED);
  dismissed.mutable_target()->set_kind(v1::ITEM_USER);
  v1::RecordEventsResponse response;
  ASSERT_TRUE(Report({dismissed}, &response).ok());
  ASSERT_EQ(response.stored(), 1);
  EXPECT_THAT(Feed("a"), Contains(Key("p5")));
}

TEST_F(PushFeedbackTest, RetriesAreDuplicatesAndAStripUndoesEverything) {
  const std::vector<v1::Event> report = {
      Feedback("f1", "a", "p1", v1::PUSH_OPENED),
      Feedback("f2", "a", "p3", v1::PUSH_DISMISSED)};
  v1::RecordEventsResponse response;
  ASSERT_TRUE(Report(report, &response).ok());
  EXPECT_EQ(response.stored(), 2);
  ASSERT_TRUE(Report(report, &response).ok());
  EXPECT_EQ(response.duplicates(), 2);
  const auto before = Feed("a");
  ASSERT_THAT(before, Contains(Key("p2")));

  StripPushFeedback("a");
  // a answers as if the pushes had never been reported: like "d", who has
  // done nothing.
  EXPECT_EQ(Feed("a"), Feed("d"));
  // A late report is refused, and changes nothing.
  ASSERT_TRUE(
      Report({Feedback("f9", "a", "p1", v1::PUSH_OPENED)}, &response).ok());
  EXPECT_EQ(response.results(0).reason(), v1::SIGNAL_STRIPPED);
  EXPECT_EQ(Feed("a"), Feed("d"));
}

TEST_F(PushFeedbackTest, MalformedReportsAreInvalidArgument) {
  v1::RecordEventsResponse response;
  v1::Event like = Feedback("f1", "a", "p1", v1::PUSH_OPENED);
  like.set_signal(v1::LIKE);
  like.clear_push_feedback();
  grpc::Status status =
      Report({Feedback("f0", "a", "p0", v1::PUSH_OPENED), like}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              AllOf(HasSubstr("events[1].signal"), HasSubstr("LIKE"),
                    HasSubstr("PUSH_FEEDBACK")));
  status = Report({Feedback("f1", "a", "p1", v1::PUSH_REACTION_UNSPECIFIED)},
                  &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("events[0].push_feedback.reaction"));
  status = Report({}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // Neither request stored anything.
  EXPECT_FALSE(CitesPushFeedback(Feed("a")));
  // A report without the pushed item is rejected on its own.
  v1::Event no_target = Feedback("f2", "a", "p1", v1::PUSH_OPENED);
  no_target.clear_target();
  ASSERT_TRUE(Report({no_target}, &response).ok());
  EXPECT_EQ(response.results(0).reason(), v1::WRONG_TARGET);
}

}  // namespace
}  // namespace portrait
