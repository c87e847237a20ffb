// The rules of DESIGN §2, one example each, through the in-process core:
// STRIP, FREEZE, re-grant, no resurrection, retention, idempotent retries,
// atomic refusal, policy re-consent, minors, receipts and the ledger.
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/consent/consent_view.h"
#include "services/consent/erasure_components.h"
#include "services/consent/test_policy.h"
#include "services/storage/memory_store.h"
#include "tests/consent_harness.h"

namespace portrait {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr int64_t kDay = 24 * 3600 * 1000;

class ConsentLedgerTest : public ::testing::Test {
 protected:
  int64_t Now() { return h_.clock().NowMillis(); }
  v1::Event Event(const std::string& id, v1::Signal signal, int64_t at,
                  const std::string& user = "alice") {
    return ConsentHarness::MakeEvent(id, user, signal, at);
  }
  void StoreLikes(int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_EQ(h_.IngestOne(Event(absl::StrCat("like-", i), v1::LIKE,
                                   Now() - 1000 + i))
                    .outcome(),
                v1::STORED);
    }
  }

  ConsentHarness h_;
};

TEST_F(ConsentLedgerTest, StripErasesEventsAndTheirIdempotencyKeys) {
  StoreLikes(5);
  ASSERT_EQ(h_.IngestOne(Event("s1", v1::SEARCH, Now())).outcome(), v1::STORED);
  auto response = h_.SetSignal("alice", v1::LIKE, false, v1::STRIP);
  ASSERT_THAT(response, IsOk());
  EXPECT_THAT(h_.StoredEventIds("alice", v1::LIKE), IsEmpty());
  EXPECT_THAT(h_.StoredEventIds("alice", v1::SEARCH), ElementsAre("s1"));
  EXPECT_EQ(h_.CountEventIdKeys("alice"), 1);
  EXPECT_EQ(h_.SignalState("alice", v1::LIKE).state(), v1::STRIPPED);
  EXPECT_EQ(response->consent().signals(v1::LIKE - 1).state(), v1::STRIPPED);
}

TEST_F(ConsentLedgerTest,
       ReceiptReportsEventsDoneAndDiskPendingUntilCompacted) {
  StoreLikes(3);
  auto response = h_.SetSignal("alice", v1::LIKE, false, v1::STRIP);
  ASSERT_THAT(response, IsOk());
  const v1::ErasureReceipt& receipt = response->receipt();
  ASSERT_THAT(receipt.components(), SizeIs(2));
  EXPECT_EQ(receipt.components(0).component(), erasure::kRawEvents);
  EXPECT_EQ(receipt.components(0).state(), v1::DONE);
  EXPECT_EQ(receipt.components(1).component(), erasure::kRawEventsOnDisk);
  EXPECT_EQ(receipt.components(1).state(), v1::PENDING);
  EXPECT_EQ(receipt.components(1).deadline_ms(), Now() + kDay);

  auto status = h_.ledger().GetErasureStatus(response->receipt_id());
  ASSERT_THAT(status, IsOk());
  EXPECT_FALSE(status->complete());
  ASSERT_THAT(h_.eraser().RunPending(), IsOkAndHolds(1));
  status = h_.ledger().GetErasureStatus(response->receipt_id());
  ASSERT_THAT(status, IsOk());
  EXPECT_TRUE(status->complete());
  EXPECT_EQ(status->receipt().components(1).done_at_ms(), Now());
  EXPECT_THAT(h_.eraser().RunPending(), IsOkAndHolds(0));
}

TEST_F(ConsentLedgerTest, FreezeKeepsEventsButRefusesNewOnes) {
  StoreLikes(2);
  auto response = h_.SetSignal("alice", v1::LIKE, false, v1::FREEZE);
  ASSERT_THAT(response, IsOk());
  EXPECT_THAT(h_.StoredEventIds("alice", v1::LIKE), SizeIs(2));
  ASSERT_THAT(response->receipt().components(), SizeIs(1));
  EXPECT_EQ(response->receipt().components(0).action(), v1::FREEZE);
  EXPECT_TRUE(h_.ledger().GetErasureStatus(response->receipt_id())->complete());
  v1::EventResult result = h_.IngestOne(Event("new", v1::LIKE, Now()));
  EXPECT_EQ(result.outcome(), v1::REJECTED);
  EXPECT_EQ(result.reason(), v1::SIGNAL_FROZEN);
  v1::SignalConsent state = h_.SignalState("alice", v1::LIKE);
  EXPECT_EQ(state.state(), v1::FROZEN);
  EXPECT_FALSE(state.effective());
  EXPECT_EQ(state.frozen_until_ms(), Now() + 730 * kDay);
}

TEST_F(ConsentLedgerTest, RegrantUnfreezesAndRefusesEventsFromBeforeIt) {
  StoreLikes(2);
  ASSERT_THAT(h_.SetSignal("alice", v1::LIKE, false, v1::FREEZE), IsOk());
  h_.clock().AdvanceMillis(60'000);
  const int64_t frozen_window = Now() - 30'000;
  h_.clock().AdvanceMillis(60'000);
  ASSERT_THAT(h_.SetSignal("alice", v1::LIKE, true), IsOk());
  EXPECT_THAT(h_.StoredEventIds("alice", v1::LIKE), SizeIs(2));
  // An event that happened while frozen, arriving late: no resurrection.
  v1::EventResult late = h_.IngestOne(Event("late", v1::LIKE, frozen_window));
  EXPECT_EQ(late.reason(), v1::BEFORE_GRANT);
  EXPECT_EQ(h_.IngestOne(Event("now", v1::LIKE, Now())).outcome(), v1::STORED);
  EXPECT_EQ(h_.SignalState("alice", v1::LIKE).since_ms(), Now());
}

TEST_F(ConsentLedgerTest, RetriedEventAfterStripIsNotResurrected) {
  v1::Event like = Event("like-0", v1::LIKE, Now() - 10);
  ASSERT_EQ(h_.IngestOne(like).outcome(), v1::STORED);
  ASSERT_THAT(h_.SetSignal("alice", v1::LIKE, false, v1::STRIP), IsOk());
  EXPECT_EQ(h_.IngestOne(like).reason(), v1::SIGNAL_STRIPPED);
  ASSERT_THAT(h_.SetSignal("alice", v1::LIKE, true), IsOk());
  EXPECT_EQ(h_.IngestOne(like).reason(), v1::BEFORE_GRANT);
  EXPECT_THAT(h_.StoredEventIds("alice", v1::LIKE), IsEmpty());
}

TEST_F(ConsentLedgerTest, FrozenDataIsStrippedWhenRetentionRunsOut) {
  ASSERT_EQ(h_.IngestOne(Event("s", v1::SEARCH, Now())).outcome(), v1::STORED);
  ASSERT_THAT(h_.SetSignal("alice", v1::SEARCH, false, v1::FREEZE), IsOk());
  h_.clock().AdvanceMillis(180 * kDay - 1);
  EXPECT_THAT(h_.ledger().ExpireFrozen(), IsOkAndHolds(0));
  EXPECT_THAT(h_.StoredEventIds("alice", v1::SEARCH), SizeIs(1));
  h_.clock().AdvanceMillis(1);
  EXPECT_THAT(h_.ledger().ExpireFrozen(), IsOkAndHolds(1));
  EXPECT_THAT(h_.StoredEventIds("alice", v1::SEARCH), IsEmpty());
  EXPECT_EQ(h_.SignalState("alice", v1::SEARCH).state(), v1::STRIPPED);
  std::vector<v1::LedgerEntry> ledger = h_.Ledger("alice");
  ASSERT_THAT(ledger, SizeIs(2));
  EXPECT_EQ(ledger[1].requester(), v1::REQUESTER_SYSTEM);
  EXPECT_EQ(ledger[1].old_value(), "FROZEN");
  EXPECT_EQ(ledger[1].new_value(), "STRIPPED");
  EXPECT_FALSE(
      h_.ledger().GetErasureStatus(ledger[1].receipt_id())->complete());
  EXPECT_THAT(h_.ledger().ExpireFrozen(), IsOkAndHolds(0));
}

TEST_F(ConsentLedgerTest, RegrantCancelsTheRetentionStrip) {
  ASSERT_EQ(h_.IngestOne(Event("s", v1::SEARCH, Now())).outcome(), v1::STORED);
  ASSERT_THAT(h_.SetSignal("alice", v1::SEARCH, false, v1::FREEZE), IsOk());
  ASSERT_THAT(h_.SetSignal("alice", v1::SEARCH, true), IsOk());
  h_.clock().AdvanceMillis(181 * kDay);
  EXPECT_THAT(h_.ledger().ExpireFrozen(), IsOkAndHolds(0));
  EXPECT_THAT(h_.StoredEventIds("alice", v1::SEARCH), SizeIs(1));
}

TEST_F(ConsentLedgerTest, RetryReturnsTheSameReceiptAndAppendsNothing) {
  StoreLikes(1);
  v1::SetConsentRequest request =
      h_.SignalRequest("alice", v1::LIKE, false, v1::STRIP);
  auto first = h_.Set(request);
  ASSERT_THAT(first, IsOk());
  auto retry = h_.Set(request);
  ASSERT_THAT(retry, IsOk());
  EXPECT_TRUE(retry->replayed());
  EXPECT_EQ(retry->receipt_id(), first->receipt_id());
  EXPECT_EQ(retry->receipt().SerializeAsString(),
            first->receipt().SerializeAsString());
  EXPECT_THAT(h_.Ledger("alice"), SizeIs(1));

  request.mutable_changes(0)->mutable_signal()->set_action(v1::FREEZE);
  EXPECT_THAT(h_.Set(request), StatusIs(absl::StatusCode::kAlreadyExists,
                                        HasSubstr("request_id")));
}

TEST_F(ConsentLedgerTest, RefusedChangeLeavesEverythingAsItWas) {
  StoreLikes(2);
  v1::SetConsentRequest request =
      h_.SignalRequest("alice", v1::LIKE, false, v1::STRIP);
  v1::SignalChange* bad = request.add_changes()->mutable_signal();
  bad->set_signal(v1::LOCATION);
  bad->set_action(v1::FREEZE);  // Sensitive: STRIP only.
  EXPECT_THAT(h_.Set(request), StatusIs(absl::StatusCode::kFailedPrecondition,
                                        HasSubstr("changes[1].signal.action")));
  EXPECT_THAT(h_.StoredEventIds("alice", v1::LIKE), SizeIs(2));
  EXPECT_EQ(h_.SignalState("alice", v1::LIKE).state(), v1::GRANTED);
  EXPECT_THAT(h_.Ledger("alice"), IsEmpty());
  // The request id was not consumed: a corrected request goes through.
  request.mutable_changes()->RemoveLast();
  EXPECT_THAT(h_.Set(request), IsOk());
}

TEST_F(ConsentLedgerTest, SensitiveSignalsAreOptInAndAlwaysStripped) {
  EXPECT_EQ(h_.IngestOne(Event("loc0", v1::LOCATION, Now())).reason(),
            v1::NO_CONSENT);
  ASSERT_THAT(h_.SetSignal("alice", v1::LOCATION, true), IsOk());
  EXPECT_EQ(h_.IngestOne(Event("loc1", v1::LOCATION, Now())).outcome(),
            v1::STORED);
  auto revoked = h_.SetSignal("alice", v1::LOCATION, false);  // Default action.
  ASSERT_THAT(revoked, IsOk());
  EXPECT_EQ(revoked->receipt().components(0).action(), v1::STRIP);
  EXPECT_THAT(h_.StoredEventIds("alice", v1::LOCATION), IsEmpty());
}

TEST_F(ConsentLedgerTest, StalePolicyVersionForSensitiveGrantIsRefused) {
  ConsentPolicy v2 =
      EditedPolicy([](v1::ConsentPolicy& p) { p.set_version(2); });
  ConsentHarness h(std::make_unique<MemoryStore>(), &v2);
  v1::SetConsentRequest request = h.SignalRequest("bob", v1::LOCATION, true);
  request.set_policy_version(1);
  EXPECT_THAT(h.Set(request), StatusIs(absl::StatusCode::kFailedPrecondition,
                                       HasSubstr("current policy version 2")));
  request.set_policy_version(3);
  EXPECT_THAT(h.Set(request), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("policy_version")));
  // A non-sensitive change under the older version is fine.
  v1::SetConsentRequest like = h.SignalRequest("bob", v1::LIKE, false);
  like.set_policy_version(1);
  EXPECT_THAT(h.Set(like), IsOk());
}

TEST_F(ConsentLedgerTest, PolicyThatAsksAgainMakesOlderGrantsIneffective) {
  ConsentPolicy v2 = EditedPolicy([](v1::ConsentPolicy& p) {
    p.set_version(2);
    for (v1::SignalPolicy& s : *p.mutable_signals()) {
      if (s.signal() == v1::BROWSE) s.set_reconsent_since_version(2);
    }
  });
  ConsentHarness h(std::make_unique<MemoryStore>(), &v2);
  const int64_t now = h.clock().NowMillis();
  EXPECT_EQ(h.IngestOne(h.MakeEvent("b0", "bob", v1::BROWSE, now)).reason(),
            v1::RECONSENT_REQUIRED);
  v1::SignalConsent state = h.SignalState("bob", v1::BROWSE);
  EXPECT_EQ(state.state(), v1::GRANTED);
  EXPECT_FALSE(state.effective());
  EXPECT_THAT(state.ineffective_reason(), HasSubstr("asks again"));
  v1::SetConsentRequest old = h.SignalRequest("bob", v1::BROWSE, true);
  old.set_policy_version(1);
  EXPECT_THAT(h.Set(old), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(h.SetSignal("bob", v1::BROWSE, true), IsOk());
  EXPECT_EQ(h.IngestOne(h.MakeEvent("b1", "bob", v1::BROWSE, now)).outcome(),
            v1::STORED);
}

v1::SetConsentRequest MinorFlag(ConsentHarness& h, const std::string& user) {
  v1::SetConsentRequest request = h.SignalRequest(user, v1::LIKE, true);
  request.mutable_changes(0)->mutable_minor_status()->set_minor(true);
  request.set_requester(v1::REQUESTER_PRIVACY_DESK);
  return request;
}

TEST_F(ConsentLedgerTest, MinorWithoutGuardianGetsNoSensitiveSignal) {
  ASSERT_THAT(h_.Set(MinorFlag(h_, "kid")), IsOk());
  EXPECT_THAT(h_.SetSignal("kid", v1::LOCATION, true),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("minor without guardian consent")));
  auto snapshot = h_.ledger().GetConsent("kid");
  ASSERT_THAT(snapshot, IsOk());
  EXPECT_TRUE(snapshot->minor());
  EXPECT_FALSE(snapshot->purposes(v1::PERSONALIZED_FEED - 1).effective());
  EXPECT_TRUE(snapshot->purposes(v1::PERSONALIZED_FEED - 1).enabled());

  v1::SetConsentRequest guardian = h_.SignalRequest("kid", v1::LOCATION, true);
  guardian.mutable_changes(0)->mutable_guardian_consent()->set_granted(true);
  EXPECT_THAT(h_.Set(guardian), StatusIs(absl::StatusCode::kPermissionDenied,
                                         HasSubstr("REQUESTER_USER")));
  guardian.set_request_id("guardian-1");
  guardian.set_requester(v1::REQUESTER_GUARDIAN);
  *guardian.add_changes() =
      h_.SignalRequest("kid", v1::LOCATION, true).changes(0);
  ASSERT_THAT(h_.Set(guardian), IsOk());
  EXPECT_EQ(h_.IngestOne(Event("loc", v1::LOCATION, Now(), "kid")).outcome(),
            v1::STORED);
  EXPECT_TRUE(h_.ledger()
                  .GetConsent("kid")
                  ->purposes(v1::PERSONALIZED_FEED - 1)
                  .effective());
}

TEST_F(ConsentLedgerTest, StatedBirthYearMakesAMinor) {
  v1::Event attrs = Event("attrs", v1::PROFILE_ATTRIBUTES, Now(), "teen");
  attrs.mutable_profile_attributes()->set_birth_year(2012);
  ASSERT_EQ(h_.IngestOne(attrs).outcome(), v1::STORED);
  EXPECT_TRUE(h_.ledger().GetConsent("teen")->minor());
  EXPECT_THAT(h_.SetSignal("teen", v1::CONTACTS, true),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(IsMinorByBirthYear(2000, 18, Now()));
  EXPECT_TRUE(IsMinorByBirthYear(2008, 18, Now()));  // 2026: maybe 17.
  EXPECT_FALSE(IsMinorByBirthYear(0, 18, Now()));
}

TEST_F(ConsentLedgerTest, LedgerRecordsEveryChangeInOrderAndPages) {
  v1::SetConsentRequest request = h_.SignalRequest("alice", v1::LIKE, false);
  v1::PurposeChange* purpose = request.add_changes()->mutable_purpose();
  purpose->set_purpose(v1::PERSONALIZED_PUSH);
  v1::RelationshipChange* rel = request.add_changes()->mutable_relationship();
  rel->set_relationship(v1::BLACKLIST_USER);
  rel->set_target_id("mallory");
  rel->set_add(true);
  ASSERT_THAT(h_.Set(request), IsOk());
  h_.clock().AdvanceMillis(5);
  ASSERT_THAT(h_.SetSignal("alice", v1::LIKE, true), IsOk());

  std::vector<v1::LedgerEntry> all = h_.Ledger("alice");
  ASSERT_THAT(all, SizeIs(4));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(all[i].sequence(), i + 1);
  EXPECT_EQ(all[0].old_value(), "GRANTED");
  EXPECT_EQ(all[0].new_value(), "STRIPPED");
  EXPECT_EQ(all[0].action(), v1::STRIP);
  EXPECT_EQ(all[0].caller_id(), "toggle-handler");
  EXPECT_EQ(all[0].policy_version(), 1);
  EXPECT_EQ(all[1].old_value(), "on");
  EXPECT_EQ(all[1].new_value(), "off");
  EXPECT_EQ(all[2].new_value(), "present");
  EXPECT_EQ(all[0].receipt_id(), all[2].receipt_id());
  EXPECT_EQ(all[3].at_ms(), all[0].at_ms() + 5);

  v1::GetConsentHistoryRequest page;
  page.set_user_id("alice");
  page.set_page_size(3);
  auto first = h_.ledger().GetHistory(page);
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(first->entries(), SizeIs(3));
  page.set_page_token(first->next_page_token());
  auto second = h_.ledger().GetHistory(page);
  ASSERT_THAT(second, IsOk());
  ASSERT_THAT(second->entries(), SizeIs(1));
  EXPECT_EQ(second->entries(0).sequence(), 4);
  EXPECT_TRUE(second->next_page_token().empty());

  auto snapshot = h_.ledger().GetConsent("alice");
  ASSERT_THAT(snapshot->relationships(), SizeIs(1));
  EXPECT_EQ(snapshot->relationships(0).target_id(), "mallory");
}

TEST_F(ConsentLedgerTest, RelationshipsStaySortedAndUnique) {
  for (const char* target : {"zed", "amy", "kim", "amy"}) {
    v1::SetConsentRequest request = h_.SignalRequest("alice", v1::LIKE, true);
    v1::RelationshipChange* rel =
        request.mutable_changes(0)->mutable_relationship();
    rel->set_relationship(v1::HIDE_MY_POSTS_FROM);
    rel->set_target_id(target);
    rel->set_add(true);
    ASSERT_THAT(h_.Set(request), IsOk());
  }
  auto snapshot = h_.ledger().GetConsent("alice");
  ASSERT_THAT(snapshot->relationships(), SizeIs(3));
  EXPECT_EQ(snapshot->relationships(0).target_id(), "amy");
  EXPECT_EQ(snapshot->relationships(2).target_id(), "zed");
}

// Each malformed SetConsent: INVALID_ARGUMENT naming the field.
TEST_F(ConsentLedgerTest, MalformedRequestsNameTheField) {
  struct Case {
    const char* field;
    std::function<void(v1::SetConsentRequest&)> edit;
  };
  const std::vector<Case> cases = {
      {"user_id", [](auto& r) { r.clear_user_id(); }},
      {"caller_id", [](auto& r) { r.set_caller_id("has space"); }},
      {"request_id", [](auto& r) { r.set_request_id(std::string(129, 'r')); }},
      {"requester",
       [](auto& r) { r.set_requester(v1::REQUESTER_UNSPECIFIED); }},
      {"requester", [](auto& r) { r.set_requester(v1::REQUESTER_SYSTEM); }},
      {"policy_version", [](auto& r) { r.set_policy_version(0); }},
      {"changes", [](auto& r) { r.clear_changes(); }},
      {"changes",
       [](auto& r) {
         for (int i = 0; i < 100; ++i) *r.add_changes() = r.changes(0);
       }},
      {"changes[0]", [](auto& r) { r.mutable_changes(0)->Clear(); }},
      {"changes[0].signal.signal",
       [](auto& r) {
         r.mutable_changes(0)->mutable_signal()->set_signal(v1::Signal(77));
       }},
      {"changes[0].signal.action",
       [](auto& r) {
         r.mutable_changes(0)->mutable_signal()->set_action(
             v1::RevocationAction(9));
       }},
      {"changes[0].signal.action",
       [](auto& r) {
         r.mutable_changes(0)->mutable_signal()->set_grant(true);
         r.mutable_changes(0)->mutable_signal()->set_action(v1::STRIP);
       }},
      {"changes[0].purpose.purpose",
       [](auto& r) { r.mutable_changes(0)->mutable_purpose(); }},
      {"changes[0].relationship.relationship",
       [](auto& r) {
         r.mutable_changes(0)->mutable_relationship()->set_target_id("x");
       }},
      {"changes[0].relationship.target_id",
       [](auto& r) {
         r.mutable_changes(0)->mutable_relationship()->set_relationship(
             v1::BLACKLIST_USER);
       }},
      {"changes[0].relationship.target_id",
       [](auto& r) {
         auto* rel = r.mutable_changes(0)->mutable_relationship();
         rel->set_relationship(v1::BLACKLIST_USER);
         rel->set_target_id(r.user_id());
       }},
  };
  for (const Case& c : cases) {
    v1::SetConsentRequest request = h_.SignalRequest("alice", v1::LIKE, false);
    c.edit(request);
    EXPECT_THAT(h_.Set(request), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr(c.field)))
        << c.field;
  }
  EXPECT_THAT(h_.Ledger("alice"), IsEmpty());
}

TEST_F(ConsentLedgerTest, ReadCallsRejectBadInput) {
  EXPECT_THAT(
      h_.ledger().GetConsent(""),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("user_id")));
  EXPECT_THAT(
      h_.ledger().GetErasureStatus("nonsense"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("receipt_id")));
  EXPECT_THAT(h_.ledger().GetErasureStatus("alice/99"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("alice/99")));
  v1::GetConsentHistoryRequest history;
  history.set_user_id("alice");
  history.set_page_size(1001);
  EXPECT_THAT(
      h_.ledger().GetHistory(history),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_size")));
  history.set_page_size(10);
  history.set_page_token("x");
  EXPECT_THAT(
      h_.ledger().GetHistory(history),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
}

TEST_F(ConsentLedgerTest, TooOldEventsFollowEachSignalsRetention) {
  EXPECT_EQ(h_.IngestOne(Event("old-search", v1::SEARCH, Now() - 181 * kDay))
                .reason(),
            v1::TOO_OLD);
  EXPECT_EQ(
      h_.IngestOne(Event("old-like", v1::LIKE, Now() - 181 * kDay)).outcome(),
      v1::STORED);
}

}  // namespace
}  // namespace portrait
