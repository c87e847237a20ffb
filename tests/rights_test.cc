// Data-subject rights through a real server: ExportUserData returns
// everything held about a user, frozen data included and stripped data not,
// contacts only as keyed hashes; GetHistory pages through searches and
// views; malformed requests are INVALID_ARGUMENT naming the field.
#include <grpcpp/grpcpp.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/temp_dir.h"
#include "tests/test_server.h"

namespace portrait {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr int64_t kNow = 1'790'000'000'000;

class RightsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(portrait_.Start(dir_.path() + "/db", &clock_));
    v1::UpsertItemsRequest catalog;
    for (int p = 0; p < 3; ++p) {
      v1::Post* post = catalog.add_items()->mutable_post();
      post->set_post_id(absl::StrCat("p", p));
      post->set_created_at_ms(kNow - 3'600'000);
    }
    v1::UpsertItemsResponse upserted;
    grpc::ClientContext context;
    ASSERT_TRUE(
        portrait_.ingest->UpsertItems(&context, catalog, &upserted).ok());
  }

  v1::Event Make(const std::string& user, v1::Signal signal, int n) {
    v1::Event e;
    e.set_event_id(absl::StrCat(v1::Signal_Name(signal), "-", n));
    e.set_user_id(user);
    e.set_signal(signal);
    e.set_occurred_at_ms(clock_.NowMillis() - 100'000 + n);
    switch (signal) {
      case v1::SEARCH:
        e.mutable_search()->set_query(absl::StrCat("query ", n));
        break;
      case v1::CONTACTS:  // Opt-in: after the grant, which is "now".
        e.set_occurred_at_ms(clock_.NowMillis());
        e.mutable_contacts()->add_contacts("+86 138 0013 8000");
        break;
      default:
        e.mutable_target()->set_kind(v1::ITEM_POST);
        e.mutable_target()->set_id(absl::StrCat("p", n % 3));
        if (signal == v1::BROWSE) e.mutable_browse()->set_dwell_ms(1000 + n);
        break;
    }
    return e;
  }

  void Record(const std::vector<v1::Event>& events) {
    v1::RecordEventsRequest request;
    for (const v1::Event& e : events) *request.add_events() = e;
    v1::RecordEventsResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(
        portrait_.ingest->RecordEvents(&context, request, &response).ok());
    ASSERT_EQ(response.stored(), request.events_size())
        << response.ShortDebugString();
  }

  void SetSignal(const std::string& user, v1::Signal signal, bool grant,
                 v1::RevocationAction action = v1::STRIP) {
    v1::SetConsentRequest request;
    request.set_user_id(user);
    request.set_requester(v1::REQUESTER_USER);
    request.set_caller_id("rights-test");
    request.set_request_id(absl::StrCat("r", next_++));
    request.set_policy_version(1);
    v1::SignalChange* change = request.add_changes()->mutable_signal();
    change->set_signal(signal);
    change->set_grant(grant);
    if (!grant) change->set_action(action);
    v1::SetConsentResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(
        portrait_.consent->SetConsent(&context, request, &response).ok());
  }

  grpc::Status Export(const std::string& user,
                      std::vector<v1::ExportPart>* parts) {
    v1::ExportUserDataRequest request;
    request.set_user_id(user);
    grpc::ClientContext context;
    auto reader = portrait_.profile->ExportUserData(&context, request);
    v1::ExportPart part;
    while (reader->Read(&part)) parts->push_back(part);
    return reader->Finish();
  }

  grpc::Status History(const std::string& user, v1::Signal signal,
                       int page_size, const std::string& token,
                       v1::GetHistoryResponse* response) {
    v1::GetHistoryRequest request;
    request.set_user_id(user);
    request.set_signal(signal);
    request.set_page_size(page_size);
    request.set_page_token(token);
    grpc::ClientContext context;
    return portrait_.profile->GetHistory(&context, request, response);
  }

  TempDir dir_;
  FakeClock clock_{kNow};
  TestServer portrait_;
  int next_ = 0;
};

// The kinds of parts in order, runs collapsed: "header consent ledger …".
std::vector<int> Layout(const std::vector<v1::ExportPart>& parts) {
  std::vector<int> kinds;
  for (const v1::ExportPart& part : parts) {
    if (kinds.empty() || kinds.back() != part.part_case())
      kinds.push_back(part.part_case());
  }
  return kinds;
}

TEST_F(RightsTest, ExportHoldsEverythingInItsDocumentedOrder) {
  SetSignal("ann", v1::CONTACTS, true);
  Record({Make("ann", v1::LIKE, 1), Make("ann", v1::LIKE, 2),
          Make("ann", v1::SEARCH, 3), Make("ann", v1::BROWSE, 4),
          Make("ann", v1::COMMENT, 5), Make("ann", v1::CONTACTS, 6),
          Make("bob", v1::LIKE, 7)});
  SetSignal("ann", v1::SEARCH, false, v1::FREEZE);  // Kept, unused.
  SetSignal("ann", v1::COMMENT, false, v1::STRIP);  // Erased.
  v1::RecordPushesRequest pushes;
  v1::SentPush* sent = pushes.add_pushes();
  sent->set_user_id("ann");
  sent->mutable_item()->set_kind(v1::ITEM_POST);
  sent->mutable_item()->set_id("p2");
  sent->set_purpose(v1::PUSH_CONTENT);
  sent->set_sent_at_ms(kNow - 1'000);
  v1::RecordPushesResponse recorded;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(portrait_.push->RecordPushes(&context, pushes, &recorded).ok());
  }

  std::vector<v1::ExportPart> parts;
  const grpc::Status status = Export("ann", &parts);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(
      Layout(parts),
      ElementsAre(v1::ExportPart::kHeader, v1::ExportPart::kConsent,
                  v1::ExportPart::kLedgerEntry, v1::ExportPart::kReceipt,
                  v1::ExportPart::kEvent, v1::ExportPart::kPush,
                  v1::ExportPart::kProfile, v1::ExportPart::kContribution,
                  v1::ExportPart::kTrailer));
  EXPECT_EQ(parts.front().header().format_version(), 1);
  EXPECT_EQ(parts.front().header().user_id(), "ann");

  std::map<int, int64_t> counts;
  std::map<std::string, v1::ConsentState> events;
  for (const v1::ExportPart& part : parts) {
    ++counts[part.part_case()];
    if (part.has_event()) {
      const v1::Event& e = part.event().event();
      EXPECT_EQ(e.user_id(), "ann");
      events[e.event_id()] = part.event().signal_state();
      if (e.has_contacts()) {
        EXPECT_THAT(e.contacts().contacts(), IsEmpty());
        ASSERT_EQ(e.contacts().contact_hashes_size(), 1);
        EXPECT_EQ(e.contacts().contact_hashes(0).size(), 32u);
      }
    }
  }
  // Frozen data is there and says so; stripped data is not.
  EXPECT_EQ(events, (std::map<std::string, v1::ConsentState>{
                        {"LIKE-1", v1::GRANTED},
                        {"LIKE-2", v1::GRANTED},
                        {"SEARCH-3", v1::FROZEN},
                        {"BROWSE-4", v1::GRANTED},
                        {"CONTACTS-6", v1::GRANTED}}));
  const v1::ExportTrailer& trailer = parts.back().trailer();
  EXPECT_EQ(trailer.ledger_entries(), counts[v1::ExportPart::kLedgerEntry]);
  EXPECT_EQ(trailer.ledger_entries(), 3);  // CONTACTS, SEARCH, COMMENT.
  EXPECT_EQ(trailer.receipts(), counts[v1::ExportPart::kReceipt]);
  EXPECT_EQ(trailer.events(), 5);
  EXPECT_EQ(trailer.pushes(), 1);
  EXPECT_EQ(trailer.contributions(), counts[v1::ExportPart::kContribution]);
  for (const v1::ExportPart& part : parts) {
    if (part.has_push()) {
      EXPECT_EQ(part.push().item().id(), "p2");
    }
    if (part.has_contribution()) {
      EXPECT_GT(part.contribution().weight(), 0);
      EXPECT_THAT(part.contribution().signals(), Not(IsEmpty()));
    }
  }
}

TEST_F(RightsTest, AnUnknownUserGetsAnEmptyButWholeExport) {
  std::vector<v1::ExportPart> parts;
  ASSERT_TRUE(Export("nobody", &parts).ok());
  EXPECT_THAT(Layout(parts),
              ElementsAre(v1::ExportPart::kHeader, v1::ExportPart::kConsent,
                          v1::ExportPart::kProfile, v1::ExportPart::kTrailer));
  EXPECT_EQ(parts.back().trailer().ShortDebugString(), "");
}

TEST_F(RightsTest, ExportOfAMalformedIdIsInvalidArgument) {
  std::vector<v1::ExportPart> parts;
  const grpc::Status status = Export("not valid!", &parts);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("user_id"));
  EXPECT_THAT(parts, IsEmpty());
}

TEST_F(RightsTest, HistoryPagesThroughEverySearchOldestFirst) {
  std::vector<v1::Event> searches;
  for (int n = 0; n < 250; ++n) searches.push_back(Make("ann", v1::SEARCH, n));
  Record(searches);
  Record({Make("ann", v1::BROWSE, 1), Make("bob", v1::SEARCH, 1)});
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    v1::GetHistoryResponse page;
    ASSERT_TRUE(History("ann", v1::SEARCH, 100, token, &page).ok());
    EXPECT_EQ(page.signal_state(), v1::GRANTED);
    for (const v1::HistoryEntry& entry : page.entries()) {
      seen.push_back(entry.query());
    }
    token = page.next_page_token();
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 250u);
  for (int n = 0; n < 250; ++n) EXPECT_EQ(seen[n], absl::StrCat("query ", n));

  v1::GetHistoryResponse browse;
  ASSERT_TRUE(History("ann", v1::BROWSE, 0, "", &browse).ok());
  ASSERT_EQ(browse.entries_size(), 1);
  EXPECT_EQ(browse.entries(0).item().id(), "p1");
  EXPECT_EQ(browse.entries(0).dwell_ms(), 1001);
}

TEST_F(RightsTest, AFrozenHistoryIsShownAndAStrippedOneIsGone) {
  Record({Make("ann", v1::SEARCH, 1), Make("ann", v1::SEARCH, 2)});
  SetSignal("ann", v1::SEARCH, false, v1::FREEZE);
  v1::GetHistoryResponse frozen;
  ASSERT_TRUE(History("ann", v1::SEARCH, 0, "", &frozen).ok());
  EXPECT_EQ(frozen.entries_size(), 2);
  EXPECT_EQ(frozen.signal_state(), v1::FROZEN);
  SetSignal("ann", v1::SEARCH, false, v1::STRIP);
  v1::GetHistoryResponse stripped;
  ASSERT_TRUE(History("ann", v1::SEARCH, 0, "", &stripped).ok());
  EXPECT_THAT(stripped.entries(), IsEmpty());
  EXPECT_EQ(stripped.signal_state(), v1::STRIPPED);
}

TEST_F(RightsTest, MalformedHistoryRequestsNameTheField) {
  std::vector<v1::Event> searches;
  for (int n = 0; n < 3; ++n) searches.push_back(Make("ann", v1::SEARCH, n));
  Record(searches);
  v1::GetHistoryResponse page;
  ASSERT_TRUE(History("ann", v1::SEARCH, 1, "", &page).ok());
  const std::string token = page.next_page_token();
  ASSERT_FALSE(token.empty());
  const struct {
    std::string user;
    v1::Signal signal;
    int page_size;
    std::string token;
    std::string field;
  } cases[] = {
      {"not valid!", v1::SEARCH, 0, "", "user_id"},
      {"ann", v1::LIKE, 0, "", "signal: is LIKE"},
      {"ann", v1::SEARCH, 1001, "", "page_size: is 1001"},
      {"ann", v1::SEARCH, -1, "", "page_size"},
      {"ann", v1::SEARCH, 0, "%%%", "page_token"},
      {"bob", v1::SEARCH, 0, token, "page_token"},  // Another user's.
      {"ann", v1::BROWSE, 0, token, "page_token"},  // Another signal's.
  };
  for (const auto& c : cases) {
    const grpc::Status status =
        History(c.user, c.signal, c.page_size, c.token, &page);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.field;
    EXPECT_THAT(status.error_message(), HasSubstr(c.field));
  }
}

}  // namespace
}  // namespace portrait
