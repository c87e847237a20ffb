// Friends on another shard of a cluster (docs/SCALING.md, "Friends on other
// shards"): real servers as two shards, ann's on s0 and two of her friends'
// on s1. Her shard reads their circles from s1 at each answer
// (ShardService.GetCircles), so her feed, her people suggestions and her
// push candidates equal those of one server holding every user. A friend who
// withdraws their circle on s1 leaves her next answer at once, with no wait
// for the shards' counts; a shard that is down leaves its friends out of an
// answer that is still served.
#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/clock.h"
#include "gtest/gtest.h"
#include "portrait/v1/shard.grpc.pb.h"
#include "services/grpc/shard_guard.h"
#include "services/portrait/test_events.h"
#include "tests/temp_dir.h"
#include "tests/test_server.h"

namespace portrait {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;

// ann and dan on s0; bob, cid and eve on s1.
const char* ShardOf(const std::string& user) {
  return user == "ann" || user == "dan" ? "s0" : "s1";
}
const std::vector<std::string>& Users() {
  static const auto* users =
      new std::vector<std::string>{"ann", "bob", "cid", "dan", "eve"};
  return *users;
}

v1::Event Befriend(const std::string& user, const std::string& other) {
  v1::Event event = PostLike(absl::StrCat(user, "-friend-", other), user, 0,
                             kNow - 7'200'000);
  event.set_signal(v1::FRIEND);
  event.mutable_target()->set_kind(v1::ITEM_USER);
  event.mutable_target()->set_id(other);
  return event;
}

// ann befriends bob, cid and dan; bob befriends eve. Each user likes three
// of twelve posts, bob's and cid's only their own.
std::vector<v1::Event> EventsOf(const std::string& user) {
  std::vector<v1::Event> events;
  const auto like = [&](int post, int64_t ago_ms) {
    events.push_back(PostLike(absl::StrCat(user, "-like-", post), user, post,
                              kNow - ago_ms));
  };
  if (user == "ann") {
    for (const char* other : {"bob", "cid", "dan"})
      events.push_back(Befriend(user, other));
    like(0, 3'600'000);
    like(1, 3'500'000);
  } else if (user == "bob") {
    events.push_back(Befriend(user, "eve"));
    events.push_back(Befriend(user, "ann"));
    like(0, 3'000'000);
    like(5, 2'000'000);
    like(6, 1'000'000);
    v1::Event brand = PostLike("bob-likes-b1", user, 0, kNow - 500'000);
    brand.mutable_target()->set_kind(v1::ITEM_BRAND);
    brand.mutable_target()->set_id("b1");
    events.push_back(brand);
  } else if (user == "cid") {
    like(1, 3'000'000);
    like(7, 2'500'000);
    like(8, 900'000);
  } else if (user == "dan") {
    like(0, 3'000'000);
    like(9, 2'000'000);
  } else {
    like(10, 1'000'000);
    like(11, 800'000);
  }
  return events;
}

void Route(grpc::ClientContext* context, const std::string& shard,
           const std::string& user) {
  if (!shard.empty()) context->AddMetadata(kRoutedShardHeader, shard);
  context->AddMetadata(kRoutedUserHeader, user);
}

// `shard` is empty for the single server.
void Send(TestServer& s, const std::string& shard, const std::string& user,
          const std::vector<v1::Event>& events) {
  v1::RecordEventsRequest request;
  for (const v1::Event& e : events) *request.add_events() = e;
  v1::RecordEventsResponse response;
  grpc::ClientContext context;
  Route(&context, shard, user);
  const grpc::Status status =
      s.ingest->RecordEvents(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
}

void Load(TestServer& s, const std::string& shard,
          const std::vector<std::string>& users) {
  v1::UpsertItemsRequest catalog;
  for (int p = 0; p < 12; ++p) {
    v1::Post* post = catalog.add_items()->mutable_post();
    post->set_post_id(absl::StrCat("p", p));
    post->set_created_at_ms(kNow - 86'400'000 + p);
  }
  for (const std::string& user : Users()) {
    v1::Person* person = catalog.add_items()->mutable_person();
    person->set_user_id(user);
    // kNow is 14:13 UTC, in the shipped quiet hours of the default time
    // zone (Asia/Shanghai): ann's push candidates are ranked only outside.
    if (user == "ann") person->set_time_zone("UTC");
  }
  catalog.add_items()->mutable_brand()->set_brand_id("b1");
  v1::UpsertItemsResponse upserted;
  grpc::ClientContext context;
  if (!shard.empty()) context.AddMetadata(kRoutedShardHeader, shard);
  const grpc::Status status =
      s.ingest->UpsertItems(&context, catalog, &upserted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  for (const std::string& user : users) Send(s, shard, user, EventsOf(user));
}

// One answer for ann, as text: items, scores and reasons.
std::string Feed(TestServer& s, const std::string& shard, v1::Surface surface) {
  v1::RecommendRequest request;
  request.set_user_id("ann");
  request.set_surface(surface);
  v1::RecommendResponse response;
  grpc::ClientContext context;
  Route(&context, shard, "ann");
  const grpc::Status status =
      s.recommend->Recommend(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.items().empty() ? "(empty)"
                                  : absl::StrCat(response.items().size(), " ",
                                                 response.ShortDebugString());
}

std::string Pushes(TestServer& s, const std::string& shard) {
  v1::GetPushCandidatesRequest request;
  request.add_user_ids("ann");
  request.set_purpose(v1::PUSH_CONTENT);
  v1::GetPushCandidatesResponse response;
  grpc::ClientContext context;
  Route(&context, shard, "ann");
  const grpc::Status status =
      s.push->GetPushCandidates(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.ShortDebugString();
}

// Whether `item` is in ann's answer for FRIENDS_ENGAGED.
bool HasFriendsEngaged(const std::string& feed, const std::string& item) {
  const size_t at = feed.find(absl::StrCat("id: \"", item, "\""));
  if (at == std::string::npos) return false;
  const size_t next = feed.find("item {", at);
  return feed.substr(at, next - at).find("FRIENDS_ENGAGED") !=
         std::string::npos;
}

v1::SetConsentResponse SetConsent(TestServer& s, const std::string& shard,
                                  const std::string& user,
                                  v1::ConsentChange change) {
  static int requests = 0;
  const v1::SetConsentRequest request =
      UserConsentRequest(user, absl::StrCat("consent-", ++requests),
                         "cluster-circles-test", change);
  v1::SetConsentResponse response;
  grpc::ClientContext context;
  Route(&context, shard, user);
  const grpc::Status status =
      s.consent->SetConsent(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

class ClusterCirclesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ranking_ = WriteEverySourceRanking(dir_.path() + "/ranking.textproto");
    // s1 first: s0 must know its port. s1 does not reach s0 (port 1): only
    // ann's answers on s0 are checked.
    PortraitServer::Options one =
        TestServerOptions(dir_.path() + "/s1", &clock_);
    one.ranking_path = ranking_;
    one.shard_name = "s1";
    one.peers = {{"s0", "127.0.0.1:1"}};
    ASSERT_TRUE(s1_.Start(one));
    PortraitServer::Options zero =
        TestServerOptions(dir_.path() + "/s0", &clock_);
    zero.ranking_path = ranking_;
    zero.shard_name = "s0";
    zero.peers = {{"s1", absl::StrCat("127.0.0.1:", s1_.server->port())}};
    ASSERT_TRUE(s0_.Start(zero));
    ASSERT_TRUE(alone_.Start(dir_.path() + "/alone", &clock_, ranking_));
    Load(s0_, "s0", {"ann", "dan"});
    Load(s1_, "s1", {"bob", "cid", "eve"});
    Load(alone_, "", Users());
  }

  // Waits (at most 15 s) until s0's FEED for ann equals the single server's:
  // s0 fetches s1's counts every second, and s1 builds them at most once a
  // second by the (fake) clock. Returns whether they became equal.
  bool AwaitCounts() {
    for (int i = 0; i < 150; ++i) {
      if (Feed(s0_, "s0", v1::FEED) == Feed(alone_, "", v1::FEED)) return true;
      absl::SleepFor(absl::Milliseconds(100));
      clock_.AdvanceMillis(1000);
    }
    return false;
  }

  TempDir dir_;
  FakeClock clock_{kNow};
  std::string ranking_;
  TestServer s0_, s1_, alone_;
};

TEST_F(ClusterCirclesTest, FriendsOnTheOtherShardCountAsOnOneServer) {
  ASSERT_TRUE(AwaitCounts());
  const std::string feed = Feed(s0_, "s0", v1::FEED);
  // From bob's and cid's circles on s1, and from dan's on s0.
  for (const char* post : {"p5", "p6", "p7", "p8", "p9"}) {
    EXPECT_TRUE(HasFriendsEngaged(feed, post)) << post << " in " << feed;
  }
  // eve, a friend of bob, is suggested as one.
  const std::string people = Feed(s0_, "s0", v1::PEOPLE);
  EXPECT_NE(people.find("FRIENDS_OF_FRIENDS"), std::string::npos) << people;
  EXPECT_NE(people.find("\"eve\""), std::string::npos) << people;
  EXPECT_EQ(people, Feed(alone_, "", v1::PEOPLE));
  // bob's brand.
  const std::string brands = Feed(s0_, "s0", v1::BRANDS);
  EXPECT_TRUE(HasFriendsEngaged(brands, "b1")) << brands;
  EXPECT_EQ(brands, Feed(alone_, "", v1::BRANDS));
  // Her push candidates are ranked (not held) with her friends' circles.
  const std::string pushes = Pushes(s0_, "s0");
  EXPECT_NE(pushes.find("FRIENDS_ENGAGED"), std::string::npos) << pushes;
  EXPECT_EQ(pushes, Pushes(alone_, ""));
}

TEST_F(ClusterCirclesTest, AWithdrawnCircleLeavesTheNextAnswerAtOnce) {
  ASSERT_TRUE(AwaitCounts());
  // bob turns SHARE_CIRCLE off and cid hides their circle from ann, each on
  // their shard; no count changes, and s0 is not waited for.
  for (TestServer* s : {&s1_, &alone_}) {
    const std::string shard = s == &s1_ ? "s1" : "";
    SetConsent(*s, shard, "bob", ChangeOfPurpose(v1::SHARE_CIRCLE, false));
    v1::ConsentChange hide;
    hide.mutable_relationship()->set_relationship(v1::HIDE_MY_CIRCLE_FROM);
    hide.mutable_relationship()->set_target_id("ann");
    hide.mutable_relationship()->set_add(true);
    SetConsent(*s, shard, "cid", hide);
  }
  const std::string feed = Feed(s0_, "s0", v1::FEED);
  EXPECT_EQ(feed, Feed(alone_, "", v1::FEED));
  for (const char* post : {"p5", "p6", "p7", "p8"}) {
    EXPECT_FALSE(HasFriendsEngaged(feed, post)) << post << " in " << feed;
  }
  EXPECT_TRUE(HasFriendsEngaged(feed, "p9")) << feed;  // dan's, on s0.
  const std::string people = Feed(s0_, "s0", v1::PEOPLE);
  EXPECT_EQ(people.find("FRIENDS_OF_FRIENDS"), std::string::npos) << people;
  EXPECT_EQ(people, Feed(alone_, "", v1::PEOPLE));
  EXPECT_EQ(Pushes(s0_, "s0"), Pushes(alone_, ""));
}

// 60 more friends of ann, f00..f54 on s1, f55..f59 on s0: the first 50 she
// may see, in label order (bob, cid, dan, then f00...), are read across both
// shards, as on one server, past two friends she refuses
// (DONT_SHARE_CONTENT_OF) and one who shares no circle. s1 answers with at
// most 50 circles, and 49 of hers are there.
TEST_F(ClusterCirclesTest, TheFirstFiftyFriendsAreReadAcrossShards) {
  std::vector<v1::Event> befriend;
  for (int f = 0; f < 60; ++f) {
    const std::string user = absl::StrCat("f", f < 10 ? "0" : "", f);
    befriend.push_back(Befriend("ann", user));
    const std::string shard = f >= 55 ? "s0" : "s1";
    // The later the friend, the rarer their posts.
    const std::vector<v1::Event> likes = {
        PostLike(absl::StrCat(user, "-a"), user, f % 12, kNow - 60'000 * f),
        PostLike(absl::StrCat(user, "-b"), user, 11 - f / 6,
                 kNow - 30'000 * f)};
    Send(shard == "s0" ? s0_ : s1_, shard, user, likes);
    Send(alone_, "", user, likes);
  }
  Send(s0_, "s0", "ann", befriend);
  Send(alone_, "", "ann", befriend);
  for (const char* refused : {"f03", "f04"}) {
    v1::ConsentChange refuse;
    refuse.mutable_relationship()->set_relationship(v1::DONT_SHARE_CONTENT_OF);
    refuse.mutable_relationship()->set_target_id(refused);
    refuse.mutable_relationship()->set_add(true);
    SetConsent(s0_, "s0", "ann", refuse);
    SetConsent(alone_, "", "ann", refuse);
  }
  SetConsent(s1_, "s1", "f05", ChangeOfPurpose(v1::SHARE_CIRCLE, false));
  SetConsent(alone_, "", "f05", ChangeOfPurpose(v1::SHARE_CIRCLE, false));
  ASSERT_TRUE(AwaitCounts());
  EXPECT_EQ(Feed(s0_, "s0", v1::PEOPLE), Feed(alone_, "", v1::PEOPLE));
  EXPECT_EQ(Pushes(s0_, "s0"), Pushes(alone_, ""));
}

// GetCircles calls s1 has answered.
int CirclesAnswered(TestServer& s) {
  int calls = 0;
  for (absl::string_view line :
       absl::StrSplit(s.server->RenderMetrics(), '\n')) {
    if (absl::StartsWith(line, "portrait_rpc_requests_total{") &&
        absl::StrContains(line, "GetCircles")) {
      calls += std::stoi(std::string(line.substr(line.rfind(' ') + 1)));
    }
  }
  return calls;
}

void RecordPush(TestServer& s, const std::string& shard, int post) {
  v1::RecordPushesRequest request;
  v1::SentPush* push = request.add_pushes();
  push->set_user_id("ann");
  push->set_purpose(v1::PUSH_CONTENT);
  push->set_sent_at_ms(kNow - 60'000 + post);
  push->mutable_item()->set_kind(v1::ITEM_POST);
  push->mutable_item()->set_id(absl::StrCat("p", post));
  v1::RecordPushesResponse response;
  grpc::ClientContext context;
  Route(&context, shard, "ann");
  const grpc::Status status =
      s.push->RecordPushes(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
}

// The holds are decided before the other shards are asked: a user held by
// the frequency cap costs them no call, and gets one server's answer.
TEST_F(ClusterCirclesTest, AHeldUserCostsTheOtherShardsNoCall) {
  ASSERT_TRUE(AwaitCounts());
  int answered = CirclesAnswered(s1_);
  const std::string ranked = Pushes(s0_, "s0");
  EXPECT_EQ(ranked.find("hold"), std::string::npos) << ranked;
  EXPECT_EQ(ranked, Pushes(alone_, ""));
  EXPECT_EQ(CirclesAnswered(s1_), answered + 1);
  for (int post = 0; post < 3; ++post) {  // The shipped max_per_day.
    RecordPush(s0_, "s0", post);
    RecordPush(alone_, "", post);
  }
  answered = CirclesAnswered(s1_);
  const std::string held = Pushes(s0_, "s0");
  EXPECT_NE(held.find("HOLD_FREQUENCY_CAP"), std::string::npos) << held;
  EXPECT_EQ(held, Pushes(alone_, ""));
  EXPECT_EQ(CirclesAnswered(s1_), answered);
}

TEST_F(ClusterCirclesTest, AShardThatIsDownLeavesItsFriendsOut) {
  ASSERT_TRUE(AwaitCounts());
  s1_.Stop();
  const std::string feed = Feed(s0_, "s0", v1::FEED);
  for (const char* post : {"p5", "p6", "p7", "p8"}) {
    EXPECT_FALSE(HasFriendsEngaged(feed, post)) << post << " in " << feed;
  }
  EXPECT_TRUE(HasFriendsEngaged(feed, "p9")) << feed;  // dan's, on s0.
}

TEST_F(ClusterCirclesTest, GetCirclesNamesWhatItRefuses) {
  auto ask = [](TestServer& s, const v1::GetCirclesRequest& request,
                v1::GetCirclesResponse* response = nullptr) {
    v1::GetCirclesResponse ignored;
    grpc::ClientContext context;
    return v1::ShardService::NewStub(s.channel)->GetCircles(
        &context, request, response != nullptr ? response : &ignored);
  };
  v1::GetCirclesRequest good;
  good.set_shard("s0");
  good.set_viewer_user_id("ann");
  good.add_user_ids("bob");
  good.add_user_ids("dan");  // Not on s1: not answered.
  good.set_now_ms(kNow);
  good.add_parts(v1::CIRCLE_FRIENDS);
  v1::GetCirclesResponse answered;
  ASSERT_TRUE(ask(s1_, good, &answered).ok());
  ASSERT_EQ(answered.circles_size(), 1);
  EXPECT_EQ(answered.circles(0).user_id(), "bob");
  EXPECT_EQ(answered.circles(0).friends().size(), 2);    // ann, eve.
  EXPECT_EQ(answered.circles(0).post_shares_size(), 0);  // Not asked for.
  v1::GetCirclesRequest shares = good;
  shares.set_parts(0, v1::CIRCLE_POST_SHARES);
  ASSERT_TRUE(ask(s1_, shares, &answered).ok());
  ASSERT_EQ(answered.circles_size(), 1);
  EXPECT_EQ(answered.circles(0).friends().size(), 0);
  EXPECT_EQ(answered.circles(0).post_shares_size(), 3);

  struct Case {
    const char* what;
    std::function<void(v1::GetCirclesRequest*)> change;
    grpc::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"own name", [](auto* r) { r->set_shard("s1"); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "shard: is s1, this shard's own name"},
      {"no viewer", [](auto* r) { r->clear_viewer_user_id(); },
       grpc::StatusCode::INVALID_ARGUMENT, "viewer_user_id: is required"},
      {"bad id", [](auto* r) { r->set_user_ids(1, "not/an id"); },
       grpc::StatusCode::INVALID_ARGUMENT, "user_ids[1]: "},
      {"too many",
       [](auto* r) {
         for (int i = 0; i < 999; ++i) r->add_user_ids(absl::StrCat("x", i));
       },
       grpc::StatusCode::INVALID_ARGUMENT,
       "user_ids: has 1001; at most 1000 are allowed"},
      {"no time", [](auto* r) { r->set_now_ms(0); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "now_ms: is 0; must be a time after 1970"},
      {"no parts", [](auto* r) { r->clear_parts(); },
       grpc::StatusCode::INVALID_ARGUMENT, "parts: at least one is required"},
      {"unknown part",
       [](auto* r) { r->add_parts(v1::CIRCLE_PART_UNSPECIFIED); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "parts[1]: is 0; must be CIRCLE_FRIENDS, CIRCLE_POST_SHARES or "
       "CIRCLE_BRAND_SHARES"},
  };
  for (const Case& c : cases) {
    v1::GetCirclesRequest request = good;
    c.change(&request);
    const grpc::Status status = ask(s1_, request);
    EXPECT_EQ(status.error_code(), c.code) << c.what;
    EXPECT_EQ(status.error_message().substr(0, c.message.size()), c.message)
        << c.what << ": " << status.error_message();
  }
  const grpc::Status not_a_shard = ask(alone_, good);
  EXPECT_EQ(not_a_shard.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(not_a_shard.error_message(),
            "this server is not a shard of a cluster (no --shard_name)");
}

}  // namespace
}  // namespace portrait
