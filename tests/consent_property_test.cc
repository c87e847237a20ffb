// Property test of the consent rules (DESIGN §2): random event streams mixed
// with random consent changes, clock jumps, retention sweeps, retries, minor
// and guardian flags, checked after every step against a small reference
// model of what must be stored and what each call must answer.
//
// Rules checked: read-your-revocation for raw data (stored events match the
// model right after each SetConsent returns), no resurrection (late and
// retried events from before a grant are refused), atomicity (a request with
// one refused change changes nothing), FREEZE keeps / STRIP erases, re-grant,
// retention stripping of frozen data, minors without guardian consent, and
// idempotent retries.
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/consent/test_policy.h"
#include "services/storage/memory_store.h"
#include "services/storage/rocksdb_store.h"
#include "tests/consent_harness.h"
#include "tests/temp_dir.h"

namespace portrait {
namespace {

constexpr v1::Signal kSignals[] = {v1::LIKE, v1::SEARCH, v1::FOLLOW,
                                   v1::LOCATION};
constexpr const char* kUsers[] = {"u0", "u1", "u2"};
constexpr int64_t kDay = 24 * 3600 * 1000;

// What must hold for one user.
struct UserModel {
  struct SignalModel {
    v1::ConsentState state = v1::DENIED;
    int64_t since_ms = 0;
    int64_t frozen_until_ms = 0;
    std::map<std::string, int64_t> stored;  // event id -> occurred_at
  };
  std::map<v1::Signal, SignalModel> signals;
  bool minor = false;
  bool guardian = false;
  int ledger_entries = 0;

  bool Restricted() const { return minor && !guardian; }
  bool HasId(const std::string& id) const {
    for (const auto& [s, m] : signals) {
      if (m.stored.count(id)) return true;
    }
    return false;
  }
};

class Simulation {
 public:
  Simulation(ConsentHarness* h, uint32_t seed) : h_(*h), rng_(seed) {
    for (const char* user : kUsers) {
      for (v1::Signal s : kSignals) {
        users_[user].signals[s].state = h_.policy().signal(s).default_state();
      }
    }
  }

  void Step() {
    switch (Pick(10)) {
      case 0:
      case 1:
      case 2:
      case 3:
        IngestBatch();
        break;
      case 4:
      case 5:
        ChangeConsent();
        break;
      case 6:
        AdvanceClock();
        break;
      case 7:
        Expire();
        break;
      case 8:
        ChangeMinorOrGuardian();
        break;
      default:
        RetryEarlierRequest();
        break;
    }
  }

  // Stored data, states and ledger lengths agree with the model.
  void Check(int step) {
    for (auto& [user, model] : users_) {
      for (auto& [signal, m] : model.signals) {
        std::vector<std::string> stored = h_.StoredEventIds(user, signal);
        std::set<std::string> actual(stored.begin(), stored.end());
        std::set<std::string> expected;
        for (const auto& [id, at] : m.stored) expected.insert(id);
        ASSERT_EQ(actual, expected)
            << "step " << step << " " << user << " " << v1::Signal_Name(signal);
        v1::SignalConsent state = h_.SignalState(user, signal);
        ASSERT_EQ(state.state(), m.state)
            << "step " << step << " " << user << " " << v1::Signal_Name(signal);
      }
      ASSERT_EQ(static_cast<int>(h_.Ledger(user).size()), model.ledger_entries)
          << "step " << step << " " << user;
    }
  }

 private:
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  int64_t Now() { return h_.clock().NowMillis(); }

  // Expected ingest outcome; updates the model when stored.
  v1::RejectReason Expect(const v1::Event& e, std::set<std::string>* batch_ids,
                          bool* stored) {
    UserModel& user = users_[e.user_id()];
    UserModel::SignalModel& m = user.signals[e.signal()];
    *stored = false;
    switch (m.state) {
      case v1::DENIED:
        return v1::NO_CONSENT;
      case v1::FROZEN:
        return v1::SIGNAL_FROZEN;
      case v1::STRIPPED:
        return v1::SIGNAL_STRIPPED;
      default:
        break;
    }
    if (h_.policy().signal(e.signal()).sensitive() && user.Restricted()) {
      return v1::MINOR_RESTRICTED;
    }
    if (e.occurred_at_ms() < m.since_ms) return v1::BEFORE_GRANT;
    if (e.occurred_at_ms() < Now() - h_.policy().RetentionMs(e.signal())) {
      return v1::TOO_OLD;
    }
    if (user.HasId(e.event_id()) || !batch_ids->insert(e.event_id()).second) {
      return v1::REJECT_REASON_UNSPECIFIED;  // Duplicate.
    }
    m.stored[e.event_id()] = e.occurred_at_ms();
    *stored = true;
    return v1::REJECT_REASON_UNSPECIFIED;
  }

  void IngestBatch() {
    std::vector<v1::Event> batch;
    const int n = 1 + Pick(5);
    for (int i = 0; i < n; ++i) {
      if (!sent_.empty() && Pick(4) == 0) {  // A retry of an earlier event.
        batch.push_back(sent_[Pick(static_cast<int>(sent_.size()))]);
        continue;
      }
      // Mostly recent; some late (before recent consent changes), some
      // beyond retention.
      int64_t age = Pick(3) == 0 ? Pick(100) * 60'000LL : Pick(1000);
      if (Pick(20) == 0) age = 200 * kDay;
      v1::Event e = ConsentHarness::MakeEvent(absl::StrCat("e", next_event_++),
                                              kUsers[Pick(3)],
                                              kSignals[Pick(4)], Now() - age);
      sent_.push_back(e);
      batch.push_back(e);
    }
    std::set<std::string> batch_ids;
    std::vector<std::pair<v1::RejectReason, bool>> expected;
    for (const v1::Event& e : batch) {
      bool stored = false;
      v1::RejectReason reason = Expect(e, &batch_ids, &stored);
      expected.emplace_back(reason, stored);
    }
    auto response = h_.Ingest(batch);
    ASSERT_TRUE(response.ok()) << response.status();
    for (size_t i = 0; i < batch.size(); ++i) {
      const v1::EventResult& r = response->results(i);
      const auto& [reason, stored] = expected[i];
      if (stored) {
        ASSERT_EQ(r.outcome(), v1::STORED) << r.ShortDebugString();
      } else if (reason == v1::REJECT_REASON_UNSPECIFIED) {
        ASSERT_EQ(r.outcome(), v1::DUPLICATE) << r.ShortDebugString();
      } else {
        ASSERT_EQ(r.outcome(), v1::REJECTED) << r.ShortDebugString();
        ASSERT_EQ(r.reason(), reason) << r.ShortDebugString();
      }
    }
  }

  // Applies one signal change to `user` (a copy); false if it must be
  // refused.
  bool ApplyModel(UserModel& user, const v1::SignalChange& c) {
    UserModel::SignalModel& m = user.signals[c.signal()];
    const bool sensitive = h_.policy().signal(c.signal()).sensitive();
    if (c.grant()) {
      if (sensitive && user.Restricted()) return false;
      if (m.state != v1::GRANTED) {
        m.state = v1::GRANTED;
        m.since_ms = Now();
        m.frozen_until_ms = 0;
      }
      return true;
    }
    v1::RevocationAction action =
        c.action() == v1::REVOCATION_ACTION_UNSPECIFIED
            ? h_.policy().signal(c.signal()).default_action()
            : c.action();
    if (sensitive && action == v1::FREEZE) return false;
    if (m.state == v1::GRANTED && action == v1::FREEZE) {
      m.state = v1::FROZEN;
      m.frozen_until_ms = Now() + h_.policy().RetentionMs(c.signal());
    } else if (m.state == v1::GRANTED || m.state == v1::FROZEN) {
      if (action == v1::STRIP) {
        m.state = v1::STRIPPED;
        m.stored.clear();
      }
    }
    return true;
  }

  void ChangeConsent() {
    const std::string user = kUsers[Pick(3)];
    v1::SetConsentRequest request = h_.SignalRequest(user, v1::LIKE, true);
    request.clear_changes();
    const int n = 1 + Pick(3);
    for (int i = 0; i < n; ++i) {
      v1::SignalChange* c = request.add_changes()->mutable_signal();
      c->set_signal(kSignals[Pick(4)]);
      c->set_grant(Pick(2) == 0);
      if (!c->grant()) c->set_action(v1::RevocationAction(Pick(3)));
    }
    UserModel after = users_[user];
    bool allowed = true;
    for (const v1::ConsentChange& c : request.changes()) {
      allowed = allowed && ApplyModel(after, c.signal());
    }
    auto response = h_.Set(request);
    ASSERT_EQ(response.ok(), allowed)
        << response.status() << " " << request.ShortDebugString();
    if (!allowed) {
      ASSERT_EQ(response.status().code(),
                absl::StatusCode::kFailedPrecondition);
      return;
    }
    after.ledger_entries += n;
    users_[user] = after;
    done_.push_back(request);
  }

  void ChangeMinorOrGuardian() {
    const std::string user = kUsers[Pick(3)];
    v1::SetConsentRequest request = h_.SignalRequest(user, v1::LIKE, true);
    request.set_requester(v1::REQUESTER_PRIVACY_DESK);
    const bool flag = Pick(2) == 0;
    if (Pick(2) == 0) {
      request.mutable_changes(0)->mutable_minor_status()->set_minor(flag);
      users_[user].minor = flag;
    } else {
      request.mutable_changes(0)->mutable_guardian_consent()->set_granted(flag);
      users_[user].guardian = flag;
    }
    ASSERT_TRUE(h_.Set(request).ok());
    users_[user].ledger_entries += 1;
    done_.push_back(request);
  }

  void RetryEarlierRequest() {
    if (done_.empty()) return;
    auto response = h_.Set(done_[Pick(static_cast<int>(done_.size()))]);
    ASSERT_TRUE(response.ok()) << response.status();
    ASSERT_TRUE(response->replayed());
  }

  void AdvanceClock() {
    static constexpr int64_t kSteps[] = {1, 1000, 60'000, 31 * kDay,
                                         190 * kDay};
    h_.clock().AdvanceMillis(kSteps[Pick(5)]);
  }

  void Expire() {
    int expected = 0;
    for (auto& [user, model] : users_) {
      for (auto& [signal, m] : model.signals) {
        if (m.state == v1::FROZEN && m.frozen_until_ms <= Now()) {
          m.state = v1::STRIPPED;
          m.stored.clear();
          model.ledger_entries += 1;
          ++expected;
        }
      }
    }
    auto stripped = h_.ledger().ExpireFrozen();
    ASSERT_TRUE(stripped.ok()) << stripped.status();
    ASSERT_EQ(*stripped, expected);
  }

  ConsentHarness& h_;
  std::mt19937 rng_;
  std::map<std::string, UserModel> users_;
  std::vector<v1::Event> sent_;
  std::vector<v1::SetConsentRequest> done_;
  int next_event_ = 0;
};

void RunSeed(ConsentHarness* h, uint32_t seed, int steps) {
  Simulation sim(h, seed);
  for (int step = 0; step < steps; ++step) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    ASSERT_NO_FATAL_FAILURE(sim.Step()) << "step " << step;
    ASSERT_NO_FATAL_FAILURE(sim.Check(step));
  }
}

TEST(ConsentPropertyTest, ManySeedsOnMemoryStore) {
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    ConsentHarness h;
    RunSeed(&h, seed, 300);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(ConsentPropertyTest, SomeSeedsOnRocksDb) {
  for (uint32_t seed = 101; seed <= 103; ++seed) {
    TempDir dir;
    auto store = RocksDbStore::Open({.path = dir.path() + "/db"});
    ASSERT_TRUE(store.ok()) << store.status();
    ConsentHarness h(std::move(*store), &ShippedPolicy());
    RunSeed(&h, seed, 200);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace portrait
