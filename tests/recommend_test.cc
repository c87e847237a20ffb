// RecommendService and GetProfile behaviour through a real server: sources
// and their reasons, filters, the non-personalised mode, stable pages, and
// each bad request with its status code.
#include <grpcpp/grpcpp.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "portrait/v1/consent.grpc.pb.h"
#include "portrait/v1/ingest.grpc.pb.h"
#include "portrait/v1/profile.grpc.pb.h"
#include "portrait/v1/recommend.grpc.pb.h"
#include "services/consent/erasure_components.h"
#include "tests/temp_dir.h"
#include "tests/test_server.h"

namespace portrait {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kNow = 1'790'000'000'000;

class RecommendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(portrait_.Start(dir_.path() + "/db", &clock_));
    UpsertCatalog();
  }

  // Posts p0..p19: author u(i%5), brand b(i%4), tags; p0..p9 in Shanghai.
  void UpsertCatalog() {
    v1::UpsertItemsRequest request;
    for (int b = 0; b < 4; ++b) {
      request.add_items()->mutable_brand()->set_brand_id(absl::StrCat("b", b));
    }
    for (int u = 0; u < 8; ++u) {
      request.add_items()->mutable_person()->set_user_id(absl::StrCat("u", u));
    }
    for (int p = 0; p < 20; ++p) {
      v1::Post* post = request.add_items()->mutable_post();
      post->set_post_id(absl::StrCat("p", p));
      post->set_author_id(absl::StrCat("u", p % 5));
      post->set_brand_id(absl::StrCat("b", p % 4));
      post->add_tags(p % 2 ? "tea" : "shoes");
      post->set_created_at_ms(kNow - (20 - p) * 60'000);
      if (p < 10) {
        post->mutable_location()->set_latitude(31.23);
        post->mutable_location()->set_longitude(121.47);
      }
    }
    v1::UpsertItemsResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(
        portrait_.ingest->UpsertItems(&context, request, &response).ok());
  }

  void Event(const std::string& user, v1::Signal signal, v1::ItemKind kind,
             const std::string& id) {
    v1::RecordEventsRequest request;
    v1::Event* e = request.add_events();
    e->set_event_id(absl::StrCat("e", next_++));
    e->set_user_id(user);
    e->set_signal(signal);
    e->set_occurred_at_ms(clock_.NowMillis());
    if (kind != v1::ITEM_KIND_UNSPECIFIED) {
      e->mutable_target()->set_kind(kind);
      e->mutable_target()->set_id(id);
    }
    if (signal == v1::LOCATION) {
      e->mutable_location()->set_latitude(31.23);
      e->mutable_location()->set_longitude(121.47);
    }
    if (signal == v1::SEARCH) e->mutable_search()->set_query(id);
    v1::RecordEventsResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(
        portrait_.ingest->RecordEvents(&context, request, &response).ok());
    ASSERT_EQ(response.stored(), 1) << response.ShortDebugString();
  }

  void Like(const std::string& user, int post) {
    Event(user, v1::LIKE, v1::ITEM_POST, absl::StrCat("p", post));
  }

  v1::SetConsentResponse Set(const std::string& user,
                             const v1::ConsentChange& change,
                             v1::Requester requester = v1::REQUESTER_USER) {
    v1::SetConsentRequest request = UserConsentRequest(
        user, absl::StrCat("r", next_++), "recommend-test", change);
    request.set_requester(requester);
    v1::SetConsentResponse response;
    grpc::ClientContext context;
    grpc::Status status =
        portrait_.consent->SetConsent(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  v1::ConsentChange Relationship(v1::Relationship relationship,
                                 const std::string& target) {
    v1::ConsentChange change;
    change.mutable_relationship()->set_relationship(relationship);
    change.mutable_relationship()->set_target_id(target);
    change.mutable_relationship()->set_add(true);
    return change;
  }

  grpc::Status Recommend(const v1::RecommendRequest& request,
                         v1::RecommendResponse* response) {
    grpc::ClientContext context;
    return portrait_.recommend->Recommend(&context, request, response);
  }

  v1::RecommendResponse Recommend(const std::string& user, v1::Surface surface,
                                  int limit = 20) {
    v1::RecommendRequest request;
    request.set_user_id(user);
    request.set_surface(surface);
    request.set_limit(limit);
    v1::RecommendResponse response;
    grpc::Status status = Recommend(request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  static std::vector<std::string> Ids(const v1::RecommendResponse& r) {
    std::vector<std::string> ids;
    for (const auto& item : r.items()) ids.push_back(item.item().id());
    return ids;
  }

  static std::set<int> SignalsCited(const v1::RecommendResponse& r) {
    std::set<int> signals;
    for (const auto& item : r.items()) {
      for (const auto& reason : item.reasons()) {
        for (int s : reason.signals()) signals.insert(s);
      }
    }
    return signals;
  }

  TempDir dir_;
  FakeClock clock_{kNow};
  TestServer portrait_;
  int next_ = 0;
};

TEST_F(RecommendTest, CoEngagementFindsWhatSimilarUsersLiked) {
  for (const char* user : {"u1", "u2", "u3"}) {
    Like(user, 2);
    Like(user, 6);
  }
  Like("u7", 2);
  v1::RecommendResponse response = Recommend("u7", v1::FEED);
  EXPECT_TRUE(response.personalized());
  ASSERT_GT(response.items_size(), 0);
  EXPECT_EQ(response.items(0).item().id(), "p6");
  EXPECT_EQ(response.items(0).reasons(0).source(), v1::CO_ENGAGEMENT);
  EXPECT_THAT(response.items(0).reasons(0).signals(), Contains(v1::LIKE));
  EXPECT_THAT(Ids(response), Not(Contains("p2")));  // Already engaged.
}

TEST_F(RecommendTest, StrippedSignalIsNeverCitedAndItsEffectGoes) {
  for (const char* user : {"u1", "u2"}) {
    Like(user, 2);
    Like(user, 6);
  }
  Like("u7", 2);
  ASSERT_THAT(SignalsCited(Recommend("u7", v1::FEED)), Contains(v1::LIKE));
  v1::SetConsentResponse strip = Set("u7", ChangeOfSignal(v1::LIKE, false));
  std::set<std::string> components;
  for (const auto& c : strip.receipt().components()) {
    components.insert(c.component());
    if (c.component() == erasure::kRawEventsOnDisk ||
        c.component() == erasure::kTrainedModel) {
      EXPECT_EQ(c.state(), v1::PENDING) << c.component();
    } else {
      EXPECT_EQ(c.state(), v1::DONE) << c.component();
    }
  }
  EXPECT_THAT(components, Contains(erasure::kPortrait));
  EXPECT_THAT(components, Contains(erasure::kCoEngagement));
  v1::RecommendResponse after = Recommend("u7", v1::FEED);
  EXPECT_THAT(SignalsCited(after), Not(Contains(v1::LIKE)));
  for (const auto& item : after.items()) {
    for (const auto& reason : item.reasons()) {
      EXPECT_NE(reason.source(), v1::CO_ENGAGEMENT) << item.ShortDebugString();
    }
  }
}

TEST_F(RecommendTest, NonPersonalisedModeUsesNoPersonalSignal) {
  Like("u7", 2);
  Event("u7", v1::FOLLOW, v1::ITEM_BRAND, "b1");
  Set("u7", ChangeOfPurpose(v1::PERSONALIZED_FEED, false));
  Set("u7", Relationship(v1::BLACKLIST_BRAND, "b3"));
  v1::RecommendResponse response = Recommend("u7", v1::FEED);
  EXPECT_FALSE(response.personalized());
  EXPECT_THAT(response.non_personalized_reason(),
              HasSubstr("PERSONALIZED_FEED"));
  ASSERT_GT(response.items_size(), 0);
  EXPECT_THAT(SignalsCited(response), testing::IsEmpty());
  for (const auto& item : response.items()) {
    for (const auto& reason : item.reasons()) {
      EXPECT_TRUE(reason.source() == v1::POPULAR ||
                  reason.source() == v1::FRESH)
          << item.ShortDebugString();
    }
    const int post = std::stoi(item.item().id().substr(1));
    EXPECT_NE(post % 4, 3) << "blacklisted brand b3 still shown";
  }
}

TEST_F(RecommendTest, NonPersonalisedBrandsAndPeopleStillAnswer) {
  // Popular brands and people exist; the user has no history and turns
  // personalisation off: the answer rests on POPULAR alone.
  for (const char* user : {"u1", "u2", "u3"}) {
    Event(user, v1::FOLLOW, v1::ITEM_BRAND, "b1");
    Event(user, v1::FOLLOW, v1::ITEM_USER, "u4");
  }
  Set("u8", ChangeOfPurpose(v1::PERSONALIZED_FEED, false));
  for (v1::Surface surface : {v1::BRANDS, v1::PEOPLE}) {
    const v1::RecommendResponse response = Recommend("u8", surface);
    EXPECT_FALSE(response.personalized());
    ASSERT_GT(response.items_size(), 0) << v1::Surface_Name(surface);
    EXPECT_EQ(response.items(0).item().id(),
              surface == v1::BRANDS ? "b1" : "u4");
    for (const auto& item : response.items()) {
      ASSERT_EQ(item.reasons_size(), 1);
      EXPECT_EQ(item.reasons(0).source(), v1::POPULAR);
    }
  }
}

TEST_F(RecommendTest, MinorWithoutGuardianGetsTheNonPersonalisedFeed) {
  Like("u6", 2);
  v1::ConsentChange minor;
  minor.mutable_minor_status()->set_minor(true);
  Set("u6", minor, v1::REQUESTER_PRIVACY_DESK);
  v1::RecommendResponse response = Recommend("u6", v1::FEED);
  EXPECT_FALSE(response.personalized());
  EXPECT_THAT(response.non_personalized_reason(), HasSubstr("minor"));
  EXPECT_THAT(SignalsCited(response), testing::IsEmpty());
}

TEST_F(RecommendTest, FiltersBlacklistsHiddenPostsAndBlocks) {
  for (const char* user : {"u1", "u2"}) {
    for (int p : {2, 3, 5, 7}) Like(user, p);
  }
  Like("u7", 2);
  Set("u7", Relationship(v1::BLACKLIST_USER, "u3"));      // Author of p3.
  Set("u0", Relationship(v1::HIDE_MY_POSTS_FROM, "u7"));  // Author of p5.
  Event("u7", v1::BLOCK, v1::ITEM_BRAND, "b3");           // Brand of p7.
  std::vector<std::string> ids = Ids(Recommend("u7", v1::FEED, 50));
  for (const char* gone : {"p3", "p5", "p7", "p8", "p10", "p11"}) {
    EXPECT_THAT(ids, Not(Contains(gone))) << gone;
  }
  EXPECT_THAT(ids, Not(Contains("p2")));
  EXPECT_THAT(ids, Contains("p1"));
}

TEST_F(RecommendTest, FollowedBrandsFriendsAndNearbyHaveTheirReasons) {
  Event("u7", v1::FOLLOW, v1::ITEM_BRAND, "b2");
  Event("u7", v1::FRIEND, v1::ITEM_USER, "u1");
  Like("u1", 9);
  Set("u7", ChangeOfSignal(v1::LOCATION, true));
  Event("u7", v1::LOCATION, v1::ITEM_KIND_UNSPECIFIED, "");
  std::set<int> sources;
  const v1::RecommendResponse before = Recommend("u7", v1::FEED, 50);
  for (const auto& item : before.items()) {
    for (const auto& reason : item.reasons()) sources.insert(reason.source());
  }
  EXPECT_THAT(sources, Contains(v1::FOLLOWED_BRAND));
  EXPECT_THAT(sources, Contains(v1::FRIENDS_ENGAGED));
  EXPECT_THAT(sources, Contains(v1::NEARBY));
  // Once u1 stops sharing their circle, their likes are not used for u7.
  Set("u1", ChangeOfPurpose(v1::SHARE_CIRCLE, false));
  const v1::RecommendResponse after = Recommend("u7", v1::FEED, 50);
  for (const auto& item : after.items()) {
    for (const auto& reason : item.reasons()) {
      EXPECT_NE(reason.source(), v1::FRIENDS_ENGAGED);
    }
  }
}

TEST_F(RecommendTest, PeopleRespectTheirOwnExposureSetting) {
  Event("u7", v1::FRIEND, v1::ITEM_USER, "u1");
  Event("u1", v1::FRIEND, v1::ITEM_USER, "u2");
  Event("u1", v1::FRIEND, v1::ITEM_USER, "u3");
  std::vector<std::string> ids = Ids(Recommend("u7", v1::PEOPLE));
  EXPECT_THAT(ids, Contains("u2"));
  EXPECT_THAT(ids, Contains("u3"));
  EXPECT_THAT(ids, Not(Contains("u1")));  // Already a friend.
  EXPECT_THAT(ids, Not(Contains("u7")));
  Set("u2", ChangeOfPurpose(v1::PEOPLE_YOU_MAY_KNOW_EXPOSURE, false));
  ids = Ids(Recommend("u7", v1::PEOPLE));
  EXPECT_THAT(ids, Not(Contains("u2")));
  EXPECT_THAT(ids, Contains("u3"));
}

TEST_F(RecommendTest, PagesContinueWithoutRepeats) {
  for (int u = 1; u < 5; ++u) {
    for (int p = 0; p < 20; p += u) Like(absl::StrCat("u", u), p);
  }
  Like("u7", 0);
  v1::RecommendRequest request;
  request.set_user_id("u7");
  request.set_surface(v1::FEED);
  request.set_limit(4);
  std::set<std::string> seen;
  int pages = 0;
  while (pages < 10) {
    v1::RecommendResponse response;
    ASSERT_TRUE(Recommend(request, &response).ok());
    for (const auto& item : response.items()) {
      EXPECT_TRUE(seen.insert(item.item().id()).second) << item.item().id();
    }
    ++pages;
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_GE(pages, 2);
  EXPECT_GE(seen.size(), 8u);
}

TEST_F(RecommendTest, BadRequestsNameTheField) {
  struct Case {
    const char* field;
    std::function<void(v1::RecommendRequest&)> edit;
  };
  const std::vector<Case> cases = {
      {"user_id", [](auto& r) { r.clear_user_id(); }},
      {"surface", [](auto& r) { r.set_surface(v1::SURFACE_UNSPECIFIED); }},
      {"surface", [](auto& r) { r.set_surface(static_cast<v1::Surface>(9)); }},
      {"limit", [](auto& r) { r.set_limit(101); }},
      {"limit", [](auto& r) { r.set_limit(-1); }},
      {"context",
       [](auto& r) {
         r.mutable_context()->set_has_location(true);
         r.mutable_context()->set_latitude(99);
       }},
      {"page_token", [](auto& r) { r.set_page_token("not-a-token"); }},
  };
  for (const Case& c : cases) {
    v1::RecommendRequest request;
    request.set_user_id("u7");
    request.set_surface(v1::FEED);
    c.edit(request);
    v1::RecommendResponse response;
    grpc::Status status = Recommend(request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.field;
    EXPECT_THAT(status.error_message(), HasSubstr(c.field));
  }
  // A token is bound to its user.
  Like("u1", 1);
  Like("u2", 1);
  Like("u2", 2);
  v1::RecommendResponse first = Recommend("u1", v1::FEED, 1);
  ASSERT_FALSE(first.next_page_token().empty());
  v1::RecommendRequest other;
  other.set_user_id("u2");
  other.set_surface(v1::FEED);
  other.set_page_token(first.next_page_token());
  v1::RecommendResponse response;
  EXPECT_EQ(Recommend(other, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RecommendTest, ProfileShowsBlocksStatesAndInterests) {
  Like("u7", 1);
  Like("u7", 3);
  Event("u7", v1::SEARCH, v1::ITEM_KIND_UNSPECIFIED, "green tea");
  Event("u7", v1::BROWSE, v1::ITEM_POST, "p4");
  Set("u7", ChangeOfSignal(v1::BROWSE, false, v1::FREEZE));
  v1::GetProfileRequest request;
  request.set_user_id("u7");
  v1::GetProfileResponse profile;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(
        portrait_.profile->GetProfile(&context, request, &profile).ok());
  }
  ASSERT_EQ(profile.blocks_size(), v1::Signal_MAX);  // One per signal.
  const v1::FeatureBlock& like = profile.blocks(v1::LIKE - 1);
  EXPECT_EQ(like.state(), v1::GRANTED);
  EXPECT_EQ(like.events(), 2);
  EXPECT_EQ(like.features_size(), 2);
  const v1::FeatureBlock& browse = profile.blocks(v1::BROWSE - 1);
  EXPECT_EQ(browse.state(), v1::FROZEN);
  EXPECT_FALSE(browse.effective());
  EXPECT_EQ(browse.features_size(), 0);
  EXPECT_EQ(profile.blocks(v1::LOCATION - 1).state(), v1::DENIED);
  std::set<std::string> labels;
  for (const auto& interest : profile.top_interests()) {
    labels.insert(interest.label());
    if (interest.label() == "tag:tea") {
      EXPECT_THAT(interest.signals(), Contains(v1::LIKE));
    }
    if (interest.label() == "term:tea") {
      EXPECT_THAT(interest.signals(), Contains(v1::SEARCH));
    }
  }
  EXPECT_THAT(labels, Contains("tag:tea"));
  EXPECT_THAT(labels, Contains("term:green"));
  request.set_user_id("bad id");
  grpc::ClientContext context;
  EXPECT_EQ(
      portrait_.profile->GetProfile(&context, request, &profile).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace portrait
