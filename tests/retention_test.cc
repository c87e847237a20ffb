// The retention sweep through real servers and a fake clock: raw events
// older than their signal's retention (730 days for LIKE, 180 for SEARCH in
// the shipped policy) are erased by maintenance, with a ledger entry by the
// system and a receipt that completes; nothing younger goes; and afterwards
// the server answers exactly like one that never received the expired
// events.
#include <grpcpp/grpcpp.h>

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/temp_dir.h"
#include "tests/test_server.h"

namespace portrait {
namespace {

constexpr int64_t kDayMs = 24 * 3'600'000LL;
constexpr int64_t kNow = 1'790'000'000'000;

v1::Event Like(const std::string& id, const std::string& user,
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

v1::Event Search(const std::string& id, const std::string& user,
                 const std::string& query, int64_t at_ms) {
  v1::Event e;
  e.set_event_id(id);
  e.set_user_id(user);
  e.set_signal(v1::SEARCH);
  e.set_occurred_at_ms(at_ms);
  e.mutable_search()->set_query(query);
  return e;
}

v1::RecordEventsResponse Record(TestServer& s,
                                const std::vector<v1::Event>& events) {
  v1::RecordEventsRequest request;
  for (const v1::Event& e : events) *request.add_events() = e;
  v1::RecordEventsResponse response;
  grpc::ClientContext context;
  EXPECT_TRUE(s.ingest->RecordEvents(&context, request, &response).ok());
  return response;
}

const std::vector<std::string> kUsers = {"ann", "bob", "cid"};

// Every user's recommendations on every surface and profile, serialised.
std::vector<std::string> Observe(TestServer& s) {
  std::vector<std::string> seen;
  for (const std::string& user : kUsers) {
    for (v1::Surface surface : {v1::FEED, v1::BRANDS, v1::PEOPLE}) {
      v1::RecommendRequest request;
      request.set_user_id(user);
      request.set_surface(surface);
      request.set_limit(10);
      v1::RecommendResponse response;
      grpc::ClientContext context;
      EXPECT_TRUE(s.recommend->Recommend(&context, request, &response).ok());
      for (auto& item : *response.mutable_items()) {
        // Scores agree to 1e-6 (rounded), everything else exactly.
        item.set_score(std::round(item.score() * 1e6) / 1e6);
      }
      seen.push_back(response.ShortDebugString());
    }
    v1::GetProfileRequest request;
    request.set_user_id(user);
    v1::GetProfileResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(s.profile->GetProfile(&context, request, &response).ok());
    seen.push_back(response.ShortDebugString());
  }
  return seen;
}

int64_t Stored(TestServer& s, const std::string& user, v1::Signal signal) {
  v1::GetEventSummaryRequest request;
  request.set_user_id(user);
  v1::GetEventSummaryResponse response;
  grpc::ClientContext context;
  EXPECT_TRUE(s.profile->GetEventSummary(&context, request, &response).ok());
  for (const auto& summary : response.signals()) {
    if (summary.signal() == signal) return summary.count();
  }
  return 0;
}

TEST(RetentionTest, ExpiredEventsAreErasedAndUnlearnedWithAReceipt) {
  TempDir dir;
  FakeClock clock(kNow);
  const std::string ranking = WriteEverySourceRanking(dir.path() + "/ranking");
  TestServer a, b;  // b never receives the events that expire.
  ASSERT_TRUE(a.Start(dir.path() + "/a", &clock, ranking));
  ASSERT_TRUE(b.Start(dir.path() + "/b", &clock, ranking));
  v1::UpsertItemsRequest catalog;
  for (int p = 0; p < 6; ++p) {
    v1::Post* post = catalog.add_items()->mutable_post();
    post->set_post_id(absl::StrCat("p", p));
    post->set_created_at_ms(kNow - 3 * kDayMs);
    post->add_tags(p % 2 == 0 ? "red" : "blue");
  }
  for (TestServer* s : {&a, &b}) {
    v1::UpsertItemsResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(s->ingest->UpsertItems(&context, catalog, &response).ok());
  }
  const std::vector<v1::Event> old_events = {
      Like("old-1", "ann", "p0", kNow - 700 * kDayMs),
      Like("old-2", "bob", "p3", kNow - 720 * kDayMs),
      Search("old-3", "ann", "red", kNow - 170 * kDayMs),
  };
  const std::vector<v1::Event> young_events = {
      Like("new-1", "ann", "p1", kNow - 2 * kDayMs),
      Like("new-2", "bob", "p0", kNow - 2 * kDayMs),
      Like("new-3", "bob", "p1", kNow - kDayMs),
      Like("new-4", "cid", "p2", kNow - kDayMs),
      Like("new-5", "cid", "p0", kNow - kDayMs),
      Search("new-6", "ann", "blue", kNow - kDayMs),
  };
  ASSERT_EQ(Record(a, old_events).stored(), 3);
  ASSERT_EQ(Record(a, young_events).stored(), 6);
  ASSERT_EQ(Record(b, young_events).stored(), 6);
  ASSERT_TRUE(a.server->TrainModel().ok());
  ASSERT_TRUE(b.server->TrainModel().ok());
  ASSERT_NE(Observe(a), Observe(b)) << "the old events must matter";

  // 5 days on nothing has expired yet (the old like is 705 and 725 days
  // old, the old search 175): the sweep erases nothing.
  clock.AdvanceMillis(5 * kDayMs);
  ASSERT_TRUE(a.server->RunMaintenance().ok());
  EXPECT_EQ(Stored(a, "ann", v1::LIKE), 2);
  EXPECT_EQ(Stored(a, "ann", v1::SEARCH), 2);

  // 40 days on: the old like (740 days) and search (210 days) are past
  // retention; everything else stays.
  clock.AdvanceMillis(35 * kDayMs);
  ASSERT_TRUE(a.server->RunMaintenance().ok());
  ASSERT_TRUE(b.server->RunMaintenance().ok());
  EXPECT_EQ(Stored(a, "ann", v1::LIKE), 1);
  EXPECT_EQ(Stored(a, "ann", v1::SEARCH), 1);
  EXPECT_EQ(Stored(a, "bob", v1::LIKE), 2);
  EXPECT_EQ(Stored(a, "cid", v1::LIKE), 2);

  // The ledger records each sweep by the system, never the content.
  v1::GetConsentHistoryRequest history;
  history.set_user_id("ann");
  v1::GetConsentHistoryResponse ledger;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(a.consent->GetConsentHistory(&context, history, &ledger).ok());
  }
  ASSERT_EQ(ledger.entries_size(), 2);
  std::vector<std::string> receipts;
  for (const v1::LedgerEntry& e : ledger.entries()) {
    EXPECT_EQ(e.requester(), v1::REQUESTER_SYSTEM);
    EXPECT_EQ(e.events_expired().events(), 1);
    EXPECT_EQ(e.new_value(), "expired");
    receipts.push_back(e.receipt_id());
  }
  EXPECT_THAT(
      std::vector<v1::Signal>({ledger.entries(0).events_expired().signal(),
                               ledger.entries(1).events_expired().signal()}),
      testing::UnorderedElementsAre(v1::LIKE, v1::SEARCH));

  // Once a model trained without them serves and the bytes are compacted,
  // the receipts are complete, and A answers exactly as B.
  ASSERT_TRUE(a.server->TrainModel().ok());
  ASSERT_TRUE(b.server->TrainModel().ok());
  ASSERT_TRUE(a.server->RunMaintenance().ok());
  for (const std::string& id : receipts) {
    v1::GetErasureStatusRequest request;
    request.set_receipt_id(id);
    v1::GetErasureStatusResponse status;
    grpc::ClientContext context;
    ASSERT_TRUE(a.consent->GetErasureStatus(&context, request, &status).ok());
    EXPECT_TRUE(status.complete()) << status.ShortDebugString();
    for (const auto& c : status.receipt().components()) {
      EXPECT_EQ(c.before_ms(), c.signal() == v1::LIKE
                                   ? clock.NowMillis() - 730 * kDayMs
                                   : clock.NowMillis() - 180 * kDayMs);
    }
  }
  EXPECT_EQ(Observe(a), Observe(b));

  // The expired events sent again are too old; a restart changes nothing.
  const v1::RecordEventsResponse resent = Record(a, old_events);
  for (const auto& result : resent.results()) {
    EXPECT_EQ(result.reason(), v1::TOO_OLD);
  }
  a.Stop();
  b.Stop();
  ASSERT_TRUE(a.Start(dir.path() + "/a", &clock, ranking));
  ASSERT_TRUE(b.Start(dir.path() + "/b", &clock, ranking));
  EXPECT_EQ(Observe(a), Observe(b));
}

}  // namespace
}  // namespace portrait
