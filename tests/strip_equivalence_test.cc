// The strip-equivalence test (DESIGN §2, the product's central promise).
//
// Two real servers share one injected clock and get the same random
// multi-user world: catalog, event stream, consent changes. In server A a
// target user's events of one signal are sent before the user revokes that
// signal (STRIP or FREEZE); server B never receives those events, but gets
// the same revocation at the same point. Afterwards, for every user and
// every surface, Recommend (two pages) and GetProfile must answer the same
// in both: same items, same order, same reasons, scores equal to 1e-6; and
// again after both servers restart. Both servers train the shared model
// (implicit ALS) before the revocation, so server A's model has seen the
// data; the comparison is made once the revocation's receipt says the
// trained model is DONE, that is, once a version trained without the data
// serves. Runs every signal, both actions where
// the policy allows them, over several seeds (PORTRAIT_EQUIVALENCE_SEEDS
// raises the count).
//
// To show the test is not vacuous, it also records whether A and B differed
// before the revocation, and requires that they did in most runs.
//
// The same holds for deleting one record (ProfileService.DeleteRecord): A
// receives one event of the target that B never receives, then deletes it;
// once its receipt says the model is DONE every answer, the target's own
// profile included, must be the same, and stay so after the event is sent
// to A again (refused) and after a restart.
//
// And for deleting an account (ProfileService.DeleteUser): B never sees the
// target user at all (no events, consent, person or authored posts; other
// users' events that name them arrive in both); A sees everything, then
// deletes the account. Once its receipt is DONE every other user's answers
// must equal B's, also after more events (the target's refused by A) and
// a restart.
#include <grpcpp/grpcpp.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "portrait/v1/consent.grpc.pb.h"
#include "portrait/v1/ingest.grpc.pb.h"
#include "portrait/v1/profile.grpc.pb.h"
#include "portrait/v1/recommend.grpc.pb.h"
#include "services/consent/erasure_components.h"
#include "tests/random_world.h"
#include "tests/temp_dir.h"
#include "tests/test_server.h"

namespace portrait {
namespace {

constexpr int kUsers = RandomWorld::kUsers;
constexpr int64_t kStartMs = RandomWorld::kStartMs;
std::string User(int i) { return RandomWorld::User(i); }

v1::SetConsentRequest SignalChange(const std::string& user, v1::Signal signal,
                                   bool grant, v1::RevocationAction action,
                                   const std::string& request_id) {
  v1::SetConsentRequest request;
  request.set_user_id(user);
  request.set_requester(v1::REQUESTER_USER);
  request.set_caller_id("equivalence-test");
  request.set_request_id(request_id);
  request.set_policy_version(1);
  v1::SignalChange* change = request.add_changes()->mutable_signal();
  change->set_signal(signal);
  change->set_grant(grant);
  change->set_action(action);
  return request;
}

void Send(TestServer& s, const std::vector<v1::Event>& events) {
  if (events.empty()) return;
  v1::RecordEventsRequest request;
  for (const v1::Event& e : events) *request.add_events() = e;
  v1::RecordEventsResponse response;
  grpc::ClientContext context;
  grpc::Status status = s.ingest->RecordEvents(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
}

v1::SetConsentResponse SetConsent(TestServer& s,
                                  const v1::SetConsentRequest& request) {
  v1::SetConsentResponse response;
  grpc::ClientContext context;
  grpc::Status status = s.consent->SetConsent(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

v1::ErasureState ModelState(TestServer& s, const std::string& receipt_id) {
  v1::GetErasureStatusRequest request;
  request.set_receipt_id(receipt_id);
  v1::GetErasureStatusResponse response;
  grpc::ClientContext context;
  EXPECT_TRUE(s.consent->GetErasureStatus(&context, request, &response).ok());
  for (const auto& c : response.receipt().components()) {
    if (c.component() == erasure::kTrainedModel) return c.state();
  }
  return v1::ERASURE_STATE_UNSPECIFIED;
}

void Train(TestServer& s) {
  auto lineage = s.server->TrainModel();
  ASSERT_TRUE(lineage.ok()) << lineage.status();
}

// Everything observable about recommendations and profiles, per server.
struct Observation {
  std::vector<v1::RecommendResponse> recommendations;
  std::vector<v1::GetProfileResponse> profiles;
};

// Every user's but `skip`'s.
Observation Observe(TestServer& s, const std::string& skip = "") {
  Observation o;
  for (int u = 0; u < kUsers; ++u) {
    if (User(u) == skip) continue;
    for (v1::Surface surface : {v1::FEED, v1::BRANDS, v1::PEOPLE}) {
      v1::RecommendRequest request;
      request.set_user_id(User(u));
      request.set_surface(surface);
      request.set_limit(5);
      for (int page = 0; page < 2; ++page) {
        v1::RecommendResponse response;
        grpc::ClientContext context;
        grpc::Status status =
            s.recommend->Recommend(&context, request, &response);
        EXPECT_TRUE(status.ok()) << status.error_message();
        o.recommendations.push_back(response);
        if (response.next_page_token().empty()) break;
        request.set_page_token(response.next_page_token());
      }
    }
    v1::GetProfileRequest request;
    request.set_user_id(User(u));
    v1::GetProfileResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(s.profile->GetProfile(&context, request, &response).ok());
    o.profiles.push_back(response);
  }
  return o;
}

// Compares scores to 1e-6 and everything else exactly. Returns true if
// equal; with `report`, adds a test failure for the first difference.
bool SameRecommendations(const v1::RecommendResponse& a,
                         const v1::RecommendResponse& b, bool report,
                         const std::string& where) {
  auto fail = [&](const std::string& what) {
    if (report)
      ADD_FAILURE() << where << ": " << what << "\nA: " << a.ShortDebugString()
                    << "\nB: " << b.ShortDebugString();
    return false;
  };
  if (a.items_size() != b.items_size()) return fail("item count");
  if (a.personalized() != b.personalized()) return fail("personalized");
  if (a.next_page_token() != b.next_page_token()) return fail("page token");
  for (int i = 0; i < a.items_size(); ++i) {
    const v1::RecommendedItem& x = a.items(i);
    const v1::RecommendedItem& y = b.items(i);
    if (x.item().SerializeAsString() != y.item().SerializeAsString())
      return fail("item");
    if (std::abs(x.score() - y.score()) > 1e-6) return fail("score");
    if (x.reasons_size() != y.reasons_size()) return fail("reasons");
    for (int r = 0; r < x.reasons_size(); ++r) {
      if (x.reasons(r).SerializeAsString() !=
          y.reasons(r).SerializeAsString()) {
        return fail("reason");
      }
    }
  }
  return true;
}

// Profiles may differ only in the revoked signal's block of the target
// (nothing may differ when `revoked` is SIGNAL_UNSPECIFIED).
bool SameProfile(v1::GetProfileResponse a, v1::GetProfileResponse b,
                 const std::string& target, v1::Signal revoked, bool report) {
  if (a.user_id() == target && revoked != v1::SIGNAL_UNSPECIFIED) {
    a.mutable_blocks(revoked - 1)->Clear();
    b.mutable_blocks(revoked - 1)->Clear();
  }
  if (a.SerializeAsString() == b.SerializeAsString()) return true;
  if (report) {
    ADD_FAILURE() << "profile of " << a.user_id()
                  << "\nA: " << a.ShortDebugString()
                  << "\nB: " << b.ShortDebugString();
  }
  return false;
}

bool Same(const Observation& a, const Observation& b, const std::string& target,
          v1::Signal revoked, bool report) {
  bool same = a.recommendations.size() == b.recommendations.size();
  if (!same && report) ADD_FAILURE() << "different page counts";
  for (size_t i = 0; same && i < a.recommendations.size(); ++i) {
    same = SameRecommendations(a.recommendations[i], b.recommendations[i],
                               report, absl::StrCat("response ", i));
  }
  for (size_t i = 0; same && i < a.profiles.size(); ++i) {
    same = SameProfile(a.profiles[i], b.profiles[i], target, revoked, report);
  }
  return same;
}

// Two real servers, A and B, on one fake clock, each in its own directory,
// with every candidate source weighted.
struct ServerPair {
  TempDir dir;
  FakeClock clock{kStartMs};
  const std::string ranking = WriteEverySourceRanking(dir.path() + "/ranking");
  TestServer a, b;

  bool Start() {
    return a.Start(dir.path() + "/a", &clock, ranking) &&
           b.Start(dir.path() + "/b", &clock, ranking);
  }
  // Both stop and start again on their data.
  bool Restart() {
    a.Stop();
    b.Stop();
    return Start();
  }
};

// Both servers get the world's catalog and everyone's opt-in to the
// sensitive signals, so that they carry data; B gets nothing of
// `absent_from_b` (their person, their posts, their consent).
void SeedBoth(RandomWorld& world, TestServer& a, TestServer& b,
              const std::string& absent_from_b = "") {
  v1::UpsertItemsRequest catalog = world.Catalog();
  v1::UpsertItemsRequest without;
  for (const v1::Item& item : catalog.items()) {
    if (absent_from_b.empty() || (item.person().user_id() != absent_from_b &&
                                  item.post().author_id() != absent_from_b)) {
      *without.add_items() = item;
    }
  }
  for (auto [s, request] : {std::pair{&a, &catalog}, std::pair{&b, &without}}) {
    v1::UpsertItemsResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(s->ingest->UpsertItems(&context, *request, &response).ok());
  }
  for (int u = 0; u < kUsers; ++u) {
    for (v1::Signal sensitive : {v1::LOCATION, v1::CONTACTS}) {
      const auto request = SignalChange(User(u), sensitive, true,
                                        v1::REVOCATION_ACTION_UNSPECIFIED,
                                        absl::StrCat("opt-in-", sensitive));
      SetConsent(a, request);
      if (User(u) != absent_from_b) SetConsent(b, request);
    }
  }
}

struct Outcome {
  bool differed_before = false;
  // After the revocation, before retraining: only the old model can differ.
  bool model_differed = false;
};

Outcome RunOne(uint32_t seed, v1::Signal signal, v1::RevocationAction action) {
  Outcome outcome;
  ServerPair pair;
  if (!pair.Start()) return outcome;
  TestServer &a = pair.a, &b = pair.b;
  FakeClock& clock = pair.clock;
  RandomWorld world(seed, signal);
  const int target_index = world.Pick(kUsers);
  const std::string target = User(target_index);
  SeedBoth(world, a, b);
  clock.AdvanceMillis(1000);
  // Phase 1: B never sees the target's events of the signal.
  for (int round = 0; round < 6; ++round) {
    std::vector<v1::Event> events =
        world.Batch(40, clock.NowMillis(), target_index);
    std::vector<v1::Event> without;
    for (const v1::Event& e : events) {
      if (!(e.user_id() == target && e.signal() == signal))
        without.push_back(e);
    }
    Send(a, events);
    Send(b, without);
    clock.AdvanceMillis(60'000);
  }
  // Both train a model: A's has seen the target's events of the signal.
  Train(a);
  Train(b);
  outcome.differed_before =
      !Same(Observe(a), Observe(b), target, signal, false);
  // The revocation, at the same point in both. Its receipt waits for a
  // model trained without the data; then the answers must agree.
  const auto revoke = SignalChange(target, signal, false, action, "revoke");
  const std::string receipt = SetConsent(a, revoke).receipt_id();
  SetConsent(b, revoke);
  EXPECT_EQ(ModelState(a, receipt), v1::PENDING);
  outcome.model_differed = !Same(Observe(a), Observe(b), target, signal, false);
  Train(a);
  Train(b);
  EXPECT_EQ(ModelState(a, receipt), v1::DONE);
  EXPECT_TRUE(Same(Observe(a), Observe(b), target, signal, true))
      << "once the receipt says the model is DONE";
  // Phase 2: the same events to both (the target's of the signal are refused
  // in both), then compare, restart, compare.
  clock.AdvanceMillis(60'000);
  const std::vector<v1::Event> later =
      world.Batch(40, clock.NowMillis(), target_index);
  Send(a, later);
  Send(b, later);
  EXPECT_TRUE(Same(Observe(a), Observe(b), target, signal, true))
      << "after more events";
  if (!pair.Restart()) return outcome;
  EXPECT_TRUE(Same(Observe(a), Observe(b), target, signal, true))
      << "after restarting both";
  return outcome;
}

v1::DeleteRecordResponse DeleteRecord(TestServer& s, const v1::Event& event) {
  v1::DeleteRecordRequest request;
  request.set_user_id(event.user_id());
  request.set_signal(event.signal());
  request.set_event_id(event.event_id());
  request.set_requester(v1::REQUESTER_USER);
  request.set_caller_id("equivalence-test");
  v1::DeleteRecordResponse response;
  grpc::ClientContext context;
  grpc::Status status = s.profile->DeleteRecord(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

// A sees one more event of the target's (of `signal`) than B, then deletes
// it. Returns whether A and B differed before the deletion.
bool RunDeleteRecord(uint32_t seed, v1::Signal signal) {
  ServerPair pair;
  if (!pair.Start()) return false;
  TestServer &a = pair.a, &b = pair.b;
  FakeClock& clock = pair.clock;
  RandomWorld world(seed, signal);
  const int target_index = world.Pick(kUsers);
  const std::string target = User(target_index);
  SeedBoth(world, a, b);
  clock.AdvanceMillis(1000);
  // The deleted event: the target's first of the signal from the third
  // round on, so that events of every user arrive before and after it.
  v1::Event deleted;
  for (int round = 0; round < 6; ++round) {
    std::vector<v1::Event> events =
        world.Batch(40, clock.NowMillis(), target_index);
    for (const v1::Event& e : events) {
      if (round >= 2 && deleted.event_id().empty() && e.user_id() == target &&
          e.signal() == signal) {
        deleted = e;
      }
    }
    std::vector<v1::Event> without;
    for (const v1::Event& e : events) {
      if (e.event_id() != deleted.event_id() || deleted.event_id().empty())
        without.push_back(e);
    }
    Send(a, events);
    Send(b, without);
    clock.AdvanceMillis(60'000);
  }
  EXPECT_FALSE(deleted.event_id().empty()) << "the world has no such event";
  Train(a);
  Train(b);
  const bool differed =
      !Same(Observe(a), Observe(b), target, v1::SIGNAL_UNSPECIFIED, false);
  const std::string receipt = DeleteRecord(a, deleted).receipt_id();
  EXPECT_EQ(ModelState(a, receipt), v1::PENDING);
  Train(a);
  Train(b);
  EXPECT_EQ(ModelState(a, receipt), v1::DONE);
  EXPECT_TRUE(
      Same(Observe(a), Observe(b), target, v1::SIGNAL_UNSPECIFIED, true))
      << "once the deletion's receipt says the model is DONE";
  clock.AdvanceMillis(60'000);
  std::vector<v1::Event> later =
      world.Batch(40, clock.NowMillis(), target_index);
  Send(b, later);
  later.push_back(deleted);  // A producer's retry: A refuses it.
  Send(a, later);
  EXPECT_TRUE(
      Same(Observe(a), Observe(b), target, v1::SIGNAL_UNSPECIFIED, true))
      << "after more events and the deleted one again";
  if (!pair.Restart()) return differed;
  EXPECT_TRUE(
      Same(Observe(a), Observe(b), target, v1::SIGNAL_UNSPECIFIED, true))
      << "after restarting both";
  return differed;
}

// A sees the target user and deletes their account; B never sees them.
// Returns whether A and B differed before the deletion.
bool RunDeleteUser(uint32_t seed) {
  ServerPair pair;
  if (!pair.Start()) return false;
  TestServer &a = pair.a, &b = pair.b;
  FakeClock& clock = pair.clock;
  RandomWorld world(seed, v1::LIKE);
  const int target_index = world.Pick(kUsers);
  const std::string target = User(target_index);
  SeedBoth(world, a, b, /*absent_from_b=*/target);
  clock.AdvanceMillis(1000);
  auto send_both = [&](int rounds) {
    for (int round = 0; round < rounds; ++round) {
      std::vector<v1::Event> events =
          world.Batch(40, clock.NowMillis(), target_index);
      std::vector<v1::Event> without;
      for (const v1::Event& e : events) {
        if (e.user_id() != target) without.push_back(e);
      }
      Send(a, events);
      Send(b, without);
      clock.AdvanceMillis(60'000);
    }
  };
  send_both(6);
  Train(a);
  Train(b);
  const bool differed = !Same(Observe(a, target), Observe(b, target), target,
                              v1::SIGNAL_UNSPECIFIED, false);
  v1::DeleteUserRequest request;
  request.set_user_id(target);
  request.set_requester(v1::REQUESTER_USER);
  request.set_caller_id("equivalence-test");
  v1::DeleteUserResponse deleted;
  {
    grpc::ClientContext context;
    grpc::Status status = a.profile->DeleteUser(&context, request, &deleted);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(ModelState(a, deleted.receipt_id()), v1::PENDING);
  Train(a);
  Train(b);
  EXPECT_EQ(ModelState(a, deleted.receipt_id()), v1::DONE);
  EXPECT_TRUE(Same(Observe(a, target), Observe(b, target), target,
                   v1::SIGNAL_UNSPECIFIED, true))
      << "once the account deletion's receipt says the model is DONE";
  send_both(1);
  EXPECT_TRUE(Same(Observe(a, target), Observe(b, target), target,
                   v1::SIGNAL_UNSPECIFIED, true))
      << "after more events";
  if (!pair.Restart()) return differed;
  EXPECT_TRUE(Same(Observe(a, target), Observe(b, target), target,
                   v1::SIGNAL_UNSPECIFIED, true))
      << "after restarting both";
  return differed;
}

int Seeds() {
  const char* env = std::getenv("PORTRAIT_EQUIVALENCE_SEEDS");
  return env != nullptr ? std::max(1, std::atoi(env)) : 2;
}

TEST(StripEquivalenceTest, EverySignalEveryActionManySeeds) {
  int runs = 0, differed = 0, model_differed = 0;
  for (int s = v1::Signal_MIN + 1; s <= v1::Signal_MAX; ++s) {
    if (!v1::Signal_IsValid(s)) continue;
    const v1::Signal signal = static_cast<v1::Signal>(s);
    const bool sensitive = signal == v1::LOCATION || signal == v1::CONTACTS;
    for (v1::RevocationAction action : {v1::STRIP, v1::FREEZE}) {
      if (sensitive && action == v1::FREEZE) continue;
      for (int seed = 1; seed <= Seeds(); ++seed) {
        SCOPED_TRACE(absl::StrCat(v1::Signal_Name(signal), " ",
                                  v1::RevocationAction_Name(action), " seed ",
                                  seed));
        Outcome outcome = RunOne(seed * 1000 + s, signal, action);
        ++runs;
        differed += outcome.differed_before ? 1 : 0;
        model_differed += outcome.model_differed ? 1 : 0;
        if (HasFatalFailure()) return;
      }
    }
  }
  std::printf(
      "%d runs; the revoked data changed answers before the revocation "
      "in %d of them, and through the not yet retrained model alone in "
      "%d\n",
      runs, differed, model_differed);
  // Most signals feed recommendations or profiles; the test must have had
  // something to erase.
  EXPECT_GE(differed * 4, runs * 3) << "the stripped data rarely mattered";
  // The model really carries revoked data until it is retrained: the wait
  // for DONE is not a formality.
  EXPECT_GT(model_differed, 0);
}

// Every signal whose records a user may see and delete one by one.
TEST(StripEquivalenceTest, DeletingOneRecordEqualsNeverHavingIt) {
  int runs = 0, differed = 0;
  for (v1::Signal signal :
       {v1::LIKE, v1::FAVORITE, v1::RECOMMEND, v1::COMMENT, v1::FOLLOW,
        v1::SEARCH, v1::BROWSE, v1::FRIEND, v1::LOCATION, v1::PUSH_FEEDBACK}) {
    for (int seed = 1; seed <= Seeds(); ++seed) {
      SCOPED_TRACE(absl::StrCat(v1::Signal_Name(signal), " seed ", seed));
      differed += RunDeleteRecord(seed * 1000 + signal, signal) ? 1 : 0;
      ++runs;
      if (HasFatalFailure()) return;
    }
  }
  std::printf("%d deletions; the deleted event changed answers in %d\n", runs,
              differed);
  EXPECT_GE(differed * 2, runs) << "the deleted events rarely mattered";
}

TEST(StripEquivalenceTest, DeletingAnAccountEqualsNeverHavingSeenIt) {
  const int runs = 3 * Seeds();
  int differed = 0;
  for (int seed = 1; seed <= runs; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    differed += RunDeleteUser(seed * 7919) ? 1 : 0;
    if (HasFatalFailure()) return;
  }
  std::printf("%d account deletions; the user changed others' answers in %d\n",
              runs, differed);
  EXPECT_EQ(differed, runs) << "the deleted user rarely mattered";
}

}  // namespace
}  // namespace portrait
