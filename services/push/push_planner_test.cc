// PushPlanner's rules over a real PortraitIndex and PushHistory on a
// MemoryStore; consent changes are applied to the index as the ledger would.
#include "services/push/push_planner.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/cancellation.h"
#include "base/clock.h"
#include "config/ranking_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/consent/policy.h"
#include "services/consent/shipped_policy.h"
#include "services/portrait/portrait_index.h"
#include "services/portrait/test_events.h"
#include "services/push/push_history.h"
#include "services/storage/memory_store.h"

namespace portrait {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// 2026-09-21 12:00 in Shanghai.
constexpr int64_t kNoon = 1'789'963'200'000;
// 23:30 the same day there, and 08:00 the next morning.
constexpr int64_t kLateEvening = 1'790'004'600'000;
constexpr int64_t kNextMorning = 1'790'035'200'000;
constexpr int64_t kHourMs = 3'600'000;

v1::PushConfig ShippedPush() { return RankingConfig::Shipped().proto().push(); }

class PushPlannerTest : public ::testing::Test {
 protected:
  PushPlannerTest() : policy_(*ConsentPolicy::FromText(kShippedConsentPolicy)) {
    Build(ShippedPush());
  }

  void Build(const v1::PushConfig& push) {
    v1::RankingConfig proto = RankingConfig::Shipped().proto();
    *proto.mutable_push() = push;
    auto config = RankingConfig::FromText(proto.DebugString());
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = std::make_unique<RankingConfig>(std::move(*config));
    store_ = std::make_unique<MemoryStore>();
    records_.clear();
    index_ = std::make_unique<PortraitIndex>(store_.get(), &clock_, &policy_,
                                             config_.get());
    ASSERT_TRUE(index_->Load().ok());
    history_ = std::make_unique<PushHistory>(store_.get(), &clock_);
    // Chunks of one user: a change made while a stream runs applies from
    // the next user on.
    planner_ = std::make_unique<PushPlanner>(
        index_.get(), nullptr, history_.get(), &clock_,
        PushPlanner::Options{/*threads=*/2, /*stream_chunk=*/1});
    World();
  }

  // Posts p0..p11 by a0 / a1, of brands b0 / b1; p0..p5 in Shanghai.
  // People u0..u5 (u5 in London). u1..u4 like p0..p5 and p6..p8; u0
  // likes p0 and p1 and shares its location in Shanghai.
  void World() {
    google::protobuf::RepeatedPtrField<v1::Item> items;
    for (const char* brand : {"b0", "b1"}) {
      items.Add()->mutable_brand()->set_brand_id(brand);
    }
    for (const char* person : {"a0", "a1", "u0", "u1", "u2", "u3", "u4"}) {
      items.Add()->mutable_person()->set_user_id(person);
    }
    v1::Person* london = items.Add()->mutable_person();
    london->set_user_id("u5");
    london->set_time_zone("Europe/London");
    for (int p = 0; p < 12; ++p) {
      v1::Post* post = items.Add()->mutable_post();
      post->set_post_id(absl::StrCat("p", p));
      post->set_author_id(absl::StrCat("a", p % 2));
      post->set_brand_id(absl::StrCat("b", (p / 2) % 2));
      post->set_created_at_ms(kNoon - (12 - p) * kHourMs);
      if (p < 6) {
        post->mutable_location()->set_latitude(31.23);
        post->mutable_location()->set_longitude(121.47);
      }
    }
    index_->OnItemsUpserted(items);
    for (int u = 1; u <= 5; ++u) {
      for (int p = 0; p < 9; p += (u % 2) + 1) Like(absl::StrCat("u", u), p);
    }
    Like("u0", 0);
    Like("u0", 1);
    Consent("u0", [](storage::ConsentRecord& r) {
      (*r.mutable_signals())[v1::LOCATION].set_state(v1::GRANTED);
    });
    v1::Event here;
    here.set_event_id("loc-1");
    here.set_user_id("u0");
    here.set_signal(v1::LOCATION);
    here.set_occurred_at_ms(kNoon - kHourMs);
    here.mutable_location()->set_latitude(31.23);
    here.mutable_location()->set_longitude(121.47);
    ASSERT_TRUE(index_->OnEventsStored({&here}).ok());
  }

  void Like(const std::string& user, int post) {
    const v1::Event event =
        PostLike(absl::StrCat("e", next_++), user, post, kNoon - 2 * kHourMs);
    ASSERT_TRUE(index_->OnEventsStored({&event}).ok());
  }

  // Applies `change` to the user's consent record, as a committed change.
  template <typename Change>
  void Consent(const std::string& user, Change change) {
    storage::ConsentRecord& record = records_[user];
    change(record);
    ASSERT_TRUE(index_->OnConsentCommitted(user, record, {}).ok());
  }

  void Purpose(const std::string& user, v1::Purpose purpose, bool on) {
    Consent(user, [&](storage::ConsentRecord& r) {
      (*r.mutable_purposes())[purpose] = on;
    });
  }

  v1::UserPushCandidates One(const std::string& user, v1::PushPurpose purpose,
                             int limit = 5) {
    v1::GetPushCandidatesRequest request;
    request.add_user_ids(user);
    request.set_purpose(purpose);
    request.set_limit_per_user(limit);
    auto response = planner_->GetCandidates(request, Cancellation::Never());
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() && response->users_size() == 1
               ? response->users(0)
               : v1::UserPushCandidates();
  }

  void Pushed(const std::string& user, const std::string& post, int64_t at_ms) {
    v1::RecordPushesRequest request;
    v1::SentPush* push = request.add_pushes();
    push->set_user_id(user);
    push->mutable_item()->set_kind(v1::ITEM_POST);
    push->mutable_item()->set_id(post);
    push->set_purpose(v1::PUSH_CONTENT);
    push->set_sent_at_ms(at_ms);
    auto recorded = history_->Record(request);
    ASSERT_TRUE(recorded.ok()) << recorded.status();
  }

  std::vector<v1::UserPushCandidates> StreamAll(
      v1::StreamPushCandidatesRequest request,
      const std::function<void(const v1::UserPushCandidates&)>& seen = {}) {
    std::vector<v1::UserPushCandidates> out;
    const absl::Status status = planner_->Stream(
        request, Cancellation::Never(), [&](const v1::UserPushCandidates& m) {
          out.push_back(m);
          if (seen) seen(m);
          return true;
        });
    EXPECT_TRUE(status.ok()) << status;
    return out;
  }

  static std::vector<std::string> Items(const v1::UserPushCandidates& user) {
    std::vector<std::string> ids;
    for (const auto& c : user.candidates()) ids.push_back(c.item().id());
    return ids;
  }

  FakeClock clock_{kNoon};
  const ConsentPolicy policy_;
  std::unique_ptr<RankingConfig> config_;
  std::unique_ptr<MemoryStore> store_;
  std::unique_ptr<PortraitIndex> index_;
  std::unique_ptr<PushHistory> history_;
  std::unique_ptr<PushPlanner> planner_;
  std::map<std::string, storage::ConsentRecord> records_;
  int next_ = 0;
};

TEST_F(PushPlannerTest, ContentIsPersonalNeverKnownNorNearbyNorPushedTwice) {
  const v1::UserPushCandidates first = One("u0", v1::PUSH_CONTENT);
  EXPECT_TRUE(first.personalized());
  EXPECT_EQ(first.hold(), v1::PUSH_HOLD_UNSPECIFIED);
  ASSERT_THAT(Items(first), Not(IsEmpty()));
  for (const auto& c : first.candidates()) {
    EXPECT_NE(c.item().id(), "p0") << "already liked";
    EXPECT_NE(c.item().id(), "p1") << "already liked";
    for (const auto& reason : c.reasons()) {
      EXPECT_NE(reason.source(), v1::NEARBY) << "location is PUSH_NEARBY's";
    }
  }
  Pushed("u0", first.candidates(0).item().id(), kNoon - kHourMs);
  EXPECT_THAT(Items(One("u0", v1::PUSH_CONTENT)),
              Not(::testing::Contains(first.candidates(0).item().id())));
}

TEST_F(PushPlannerTest, PersonalizedPushOffGivesNonPersonalCandidates) {
  Purpose("u0", v1::PERSONALIZED_PUSH, false);
  const v1::UserPushCandidates user = One("u0", v1::PUSH_CONTENT);
  EXPECT_FALSE(user.personalized());
  EXPECT_EQ(user.non_personalized_reason(), "PERSONALIZED_PUSH is off");
  ASSERT_THAT(Items(user), Not(IsEmpty()));
  for (const auto& c : user.candidates()) {
    for (const auto& reason : c.reasons()) {
      EXPECT_THAT(reason.source(), ::testing::AnyOf(v1::POPULAR, v1::FRESH));
      EXPECT_THAT(reason.signals(), IsEmpty());
    }
  }
}

TEST_F(PushPlannerTest, PersonalizedPushOffGivesNoneWhenConfigured) {
  v1::PushConfig push = ShippedPush();
  push.set_non_personalized(v1::NON_PERSONALIZED_NONE);
  Build(push);
  Purpose("u0", v1::PERSONALIZED_PUSH, false);
  const v1::UserPushCandidates user = One("u0", v1::PUSH_PEOPLE);
  EXPECT_EQ(user.hold(), v1::HOLD_PURPOSE_NOT_ALLOWED);
  EXPECT_THAT(Items(user), IsEmpty());
  EXPECT_TRUE(One("u1", v1::PUSH_PEOPLE).personalized());
}

TEST_F(PushPlannerTest, AMinorWithoutGuardianConsentGetsNonPersonal) {
  Consent("u1", [](storage::ConsentRecord& r) { r.set_minor(true); });
  const v1::UserPushCandidates user = One("u1", v1::PUSH_CONTENT);
  EXPECT_FALSE(user.personalized());
  EXPECT_EQ(user.non_personalized_reason(),
            "the user is a minor without guardian consent");
  EXPECT_EQ(One("u1", v1::PUSH_NEARBY).hold(), v1::HOLD_PURPOSE_NOT_ALLOWED);
}

TEST_F(PushPlannerTest, NearbyNeedsLocationAndLocationPush) {
  const v1::UserPushCandidates without_location = One("u1", v1::PUSH_NEARBY);
  EXPECT_EQ(without_location.hold(), v1::HOLD_PURPOSE_NOT_ALLOWED);
  EXPECT_EQ(without_location.non_personalized_reason(),
            "LOCATION is not granted");
  // LOCATION_PUSH is off by default.
  const v1::UserPushCandidates purpose_off = One("u0", v1::PUSH_NEARBY);
  EXPECT_EQ(purpose_off.hold(), v1::HOLD_PURPOSE_NOT_ALLOWED);
  EXPECT_EQ(purpose_off.non_personalized_reason(), "LOCATION_PUSH is off");

  Purpose("u0", v1::LOCATION_PUSH, true);
  const v1::UserPushCandidates nearby = One("u0", v1::PUSH_NEARBY);
  EXPECT_EQ(nearby.hold(), v1::PUSH_HOLD_UNSPECIFIED);
  ASSERT_THAT(Items(nearby), Not(IsEmpty()));
  for (const auto& c : nearby.candidates()) {
    int index = 0;
    ASSERT_TRUE(absl::SimpleAtoi(c.item().id().substr(1), &index));
    EXPECT_LT(index, 6) << c.item().id() << " is not in Shanghai";
    ASSERT_EQ(c.reasons_size(), 1);
    EXPECT_EQ(c.reasons(0).source(), v1::NEARBY);
  }
  // Revoking LOCATION ends nearby pushes at once.
  Consent("u0", [](storage::ConsentRecord& r) {
    (*r.mutable_signals())[v1::LOCATION].set_state(v1::STRIPPED);
  });
  EXPECT_EQ(One("u0", v1::PUSH_NEARBY).hold(), v1::HOLD_PURPOSE_NOT_ALLOWED);
}

TEST_F(PushPlannerTest, BlacklistsAndHiddenPostsApplyAsOnTheFeed) {
  Consent("u0", [](storage::ConsentRecord& r) {
    storage::RelationshipRecord* brand = r.add_relationships();
    brand->set_relationship(v1::BLACKLIST_BRAND);
    brand->set_target_id("b0");
  });
  Consent("a1", [](storage::ConsentRecord& r) {
    storage::RelationshipRecord* hide = r.add_relationships();
    hide->set_relationship(v1::HIDE_MY_POSTS_FROM);
    hide->set_target_id("u0");
  });
  const v1::UserPushCandidates user = One("u0", v1::PUSH_CONTENT, 20);
  ASSERT_THAT(Items(user), Not(IsEmpty()));
  for (const std::string& id : Items(user)) {
    int p = 0;
    ASSERT_TRUE(absl::SimpleAtoi(id.substr(1), &p));
    EXPECT_NE((p / 2) % 2, 0) << id << " is of the blacklisted brand b0";
    EXPECT_NE(p % 2, 1) << id << " is by a1, who hides posts from u0";
  }
}

TEST_F(PushPlannerTest, TheFrequencyCapHoldsUntilTheOldestPushIsADayOld) {
  const int cap = ShippedPush().max_per_day();
  for (int i = 0; i < cap; ++i) {
    Pushed("u0", absl::StrCat("p", 9 + i), kNoon - (cap - i) * kHourMs);
  }
  const v1::UserPushCandidates held = One("u0", v1::PUSH_CONTENT);
  EXPECT_EQ(held.hold(), v1::HOLD_FREQUENCY_CAP);
  EXPECT_EQ(held.held_until_ms(), kNoon - cap * kHourMs + 24 * kHourMs);
  EXPECT_THAT(Items(held), IsEmpty());
  EXPECT_EQ(One("u1", v1::PUSH_CONTENT).hold(), v1::PUSH_HOLD_UNSPECIFIED);
  clock_.SetMillis(held.held_until_ms());
  EXPECT_EQ(One("u0", v1::PUSH_CONTENT).hold(), v1::PUSH_HOLD_UNSPECIFIED);
}

TEST_F(PushPlannerTest, QuietHoursAreTheUsersLocalHours) {
  clock_.SetMillis(kLateEvening);  // 23:30 in Shanghai, 16:30 in London.
  const v1::UserPushCandidates shanghai = One("u0", v1::PUSH_CONTENT);
  EXPECT_EQ(shanghai.hold(), v1::HOLD_QUIET_HOURS);
  EXPECT_EQ(shanghai.held_until_ms(), kNextMorning);
  EXPECT_EQ(One("u5", v1::PUSH_CONTENT).hold(), v1::PUSH_HOLD_UNSPECIFIED);
  clock_.SetMillis(kNextMorning);
  EXPECT_EQ(One("u0", v1::PUSH_CONTENT).hold(), v1::PUSH_HOLD_UNSPECIFIED);
}

TEST_F(PushPlannerTest, StreamsInUserOrderAndResumesFromACursor) {
  v1::StreamPushCandidatesRequest request;
  request.mutable_segment()->set_all_users(true);
  request.set_purpose(v1::PUSH_CONTENT);
  const std::vector<v1::UserPushCandidates> all = StreamAll(request);
  std::vector<std::string> users;
  for (const auto& m : all) users.push_back(m.user_id());
  // Not u5: it is 05:00 in London, in quiet hours, and the stream sends
  // only users with candidates.
  EXPECT_EQ(users, (std::vector<std::string>{"a0", "a1", "u0", "u1", "u2", "u3",
                                             "u4"}));
  request.set_cursor(all[2].cursor());
  const std::vector<v1::UserPushCandidates> rest = StreamAll(request);
  ASSERT_EQ(rest.size(), all.size() - 3);
  for (size_t i = 0; i < rest.size(); ++i) {
    EXPECT_EQ(rest[i].SerializeAsString(), all[i + 3].SerializeAsString());
  }
  // A cursor resumes only its own stream.
  request.set_purpose(v1::PUSH_PEOPLE);
  absl::Status other = planner_->Stream(request, Cancellation::Never(),
                                        [](const auto&) { return true; });
  EXPECT_EQ(other.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(other.message(), HasSubstr("cursor"));
  request.set_cursor("not-a-cursor");
  EXPECT_EQ(planner_
                ->Stream(request, Cancellation::Never(),
                         [](const auto&) { return true; })
                .code(),
            absl::StatusCode::kInvalidArgument);
}

bool CitesLike(const v1::UserPushCandidates& user) {
  for (const auto& c : user.candidates()) {
    for (const auto& reason : c.reasons()) {
      for (int signal : reason.signals()) {
        if (signal == v1::LIKE) return true;
      }
    }
  }
  return false;
}

TEST_F(PushPlannerTest, ChunksOnSeveralThreadsStreamTheSameMessages) {
  v1::StreamPushCandidatesRequest request;
  request.mutable_segment()->set_all_users(true);
  request.set_purpose(v1::PUSH_PEOPLE);
  request.set_include_empty(true);
  const std::vector<v1::UserPushCandidates> one_by_one = StreamAll(request);
  ASSERT_EQ(one_by_one.size(), 8u);
  planner_ = std::make_unique<PushPlanner>(
      index_.get(), nullptr, history_.get(), &clock_,
      PushPlanner::Options{/*threads=*/2, /*stream_chunk=*/3});
  const std::vector<v1::UserPushCandidates> chunked = StreamAll(request);
  ASSERT_EQ(chunked.size(), one_by_one.size());
  for (size_t i = 0; i < chunked.size(); ++i) {
    EXPECT_EQ(chunked[i].SerializeAsString(),
              one_by_one[i].SerializeAsString());
  }
  request.set_cursor(chunked[3].cursor());
  EXPECT_EQ(StreamAll(request).size(), 4u);
}

TEST_F(PushPlannerTest, TheRestOfAStreamObeysAChangeMadeWhileItRuns) {
  ASSERT_TRUE(One("u3", v1::PUSH_CONTENT).personalized());
  ASSERT_TRUE(CitesLike(One("u1", v1::PUSH_CONTENT)));
  // One user planned at a time (the fixture), then three: the planner
  // plans ahead of the user it sends, but never more than stream_chunk
  // users, that one included.
  for (const int stream_chunk : {1, 3}) {
    SCOPED_TRACE(absl::StrCat("stream_chunk ", stream_chunk));
    Build(ShippedPush());
    planner_ = std::make_unique<PushPlanner>(
        index_.get(), nullptr, history_.get(), &clock_,
        PushPlanner::Options{/*threads=*/2, stream_chunk});
    v1::StreamPushCandidatesRequest request;
    request.mutable_segment()->set_all_users(true);
    request.set_purpose(v1::PUSH_CONTENT);
    request.set_include_empty(true);
    const std::vector<v1::UserPushCandidates> streamed =
        StreamAll(request, [&](const v1::UserPushCandidates& m) {
          if (m.user_id() != "a0") return;
          // Time for the helper to plan every user it may plan ahead (a
          // bound the planner kept holds however long this takes).
          absl::SleepFor(absl::Milliseconds(50));
          // While the stream runs: u3 turns personalised push off, u1
          // strips LIKE.
          Purpose("u3", v1::PERSONALIZED_PUSH, false);
          Consent("u1", [](storage::ConsentRecord& r) {
            (*r.mutable_signals())[v1::LIKE].set_state(v1::STRIPPED);
          });
        });
    std::vector<std::string> order;
    for (const auto& m : streamed) {
      order.push_back(m.user_id());
      if (m.user_id() == "u3") {
        EXPECT_FALSE(m.personalized());
      }
      if (m.user_id() == "u1") {
        EXPECT_FALSE(CitesLike(m)) << m.ShortDebugString();
      }
    }
    EXPECT_THAT(order,
                ElementsAre("a0", "a1", "u0", "u1", "u2", "u3", "u4", "u5"));
  }
}

TEST_F(PushPlannerTest, SegmentsUseOnlyDataInEffect) {
  v1::StreamPushCandidatesRequest request;
  request.mutable_segment()->set_last_seen_cell("312,1214");
  request.set_purpose(v1::PUSH_CONTENT);
  request.set_include_empty(true);
  std::vector<v1::UserPushCandidates> seen = StreamAll(request);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].user_id(), "u0");
  Consent("u0", [](storage::ConsentRecord& r) {
    (*r.mutable_signals())[v1::LOCATION].set_state(v1::FROZEN);
  });
  EXPECT_THAT(StreamAll(request), IsEmpty());

  request.mutable_segment()->set_active_since_ms(kNoon - kHourMs - 1);
  seen = StreamAll(request);
  EXPECT_THAT(seen, IsEmpty()) << "u0's location is frozen; likes are older";
  request.mutable_segment()->set_active_since_ms(kNoon - 2 * kHourMs);
  EXPECT_EQ(StreamAll(request).size(), 6u);  // u0..u5.
}

TEST_F(PushPlannerTest, AStreamStopsWhenCalledOff) {
  v1::StreamPushCandidatesRequest request;
  request.mutable_segment()->set_all_users(true);
  request.set_purpose(v1::PUSH_CONTENT);
  CancellationFlag cancel("the caller left");
  int emitted = 0;
  const absl::Status status =
      planner_->Stream(request, cancel, [&](const auto&) {
        cancel.Cancel();
        ++emitted;
        return true;
      });
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(emitted, 1);
}

TEST_F(PushPlannerTest, MalformedRequestsNameTheFieldAndTheLimit) {
  auto batch_error = [&](const v1::GetPushCandidatesRequest& request) {
    return planner_->GetCandidates(request, Cancellation::Never()).status();
  };
  v1::GetPushCandidatesRequest batch;
  batch.set_purpose(v1::PUSH_CONTENT);
  EXPECT_THAT(batch_error(batch).message(),
              HasSubstr("user_ids: has 0; 1 to 1000"));
  for (int i = 0; i < 1001; ++i) batch.add_user_ids(absl::StrCat("u", i));
  EXPECT_THAT(batch_error(batch).message(), HasSubstr("1 to 1000"));
  batch.clear_user_ids();
  batch.add_user_ids("u1");
  batch.add_user_ids("u1");
  EXPECT_THAT(batch_error(batch).message(), HasSubstr("user_ids[1]: repeats"));
  batch.set_user_ids(1, "bad id");
  EXPECT_THAT(batch_error(batch).message(), HasSubstr("user_ids[1]"));
  batch.set_user_ids(1, "u2");
  batch.set_limit_per_user(21);
  EXPECT_THAT(batch_error(batch).message(),
              HasSubstr("limit_per_user: is 21; must be 0 to 20"));
  batch.set_limit_per_user(0);
  batch.set_purpose(v1::PUSH_PURPOSE_UNSPECIFIED);
  EXPECT_THAT(batch_error(batch).message(), HasSubstr("purpose"));
  EXPECT_EQ(batch_error(batch).code(), absl::StatusCode::kInvalidArgument);

  v1::StreamPushCandidatesRequest stream;
  stream.set_purpose(v1::PUSH_CONTENT);
  auto stream_error = [&] {
    return planner_->Stream(stream, Cancellation::Never(),
                            [](const auto&) { return true; });
  };
  EXPECT_THAT(stream_error().message(), HasSubstr("segment: must set one"));
  stream.mutable_segment()->set_last_seen_cell("Shanghai");
  EXPECT_THAT(stream_error().message(), HasSubstr("segment.last_seen_cell"));
  EXPECT_EQ(stream_error().code(), absl::StatusCode::kInvalidArgument);

  v1::RecordPushesRequest pushes;
  EXPECT_THAT(history_->Record(pushes).status().message(),
              HasSubstr("pushes: has 0; 1 to 1000"));
  v1::SentPush* push = pushes.add_pushes();
  push->set_user_id("u0");
  push->mutable_item()->set_kind(v1::ITEM_BRAND);
  push->mutable_item()->set_id("b0");
  push->set_purpose(v1::PUSH_CONTENT);
  push->set_sent_at_ms(kNoon);
  EXPECT_THAT(history_->Record(pushes).status().message(),
              HasSubstr("pushes[0].item.kind"));
  push->mutable_item()->set_kind(v1::ITEM_POST);
  push->set_sent_at_ms(kNoon + 10 * 60 * 1000);
  EXPECT_THAT(history_->Record(pushes).status().message(),
              HasSubstr("pushes[0].sent_at_ms"));
  push->set_sent_at_ms(kNoon);
  auto recorded = history_->Record(pushes);
  ASSERT_TRUE(recorded.ok());
  EXPECT_EQ(recorded->recorded(), 1);
  recorded = history_->Record(pushes);
  ASSERT_TRUE(recorded.ok());
  EXPECT_EQ(recorded->duplicates(), 1) << "a retry is a duplicate";
}

}  // namespace
}  // namespace portrait
