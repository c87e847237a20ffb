// crash_loop: kill -9 fault test. Runs the real portraitd as a child process
// under concurrent ingest, revocations, record deletions and an account
// deletion per round, SIGKILLs it at a random moment, restarts it on the
// same data directory, and checks that
//  - every acknowledged revocation holds (state, and no stored event of a
//    stripped signal);
//  - the one revocation in flight at the kill was applied whole or not at
//    all: retrying it is answered "replayed" exactly when its effect is
//    there, and the ledger's last entry per signal matches the state;
//  - every acknowledged event is still stored (where no strip removed it);
//  - every acknowledged record deletion holds (a retry is answered
//    "replayed", the event sent again is not stored), and the one in flight
//    was applied whole or not at all;
//  - every acknowledged account deletion holds (no event left, the id
//    refuses events), and the one in flight at the kill had either erased
//    every event of the account or none;
//  - every receipt's on-disk erasure completes after the restart.
// Exits 0 when every round passes. The test suite runs a few rounds;
// `bazel run //tests:crash_loop -- --rounds=200` soaks.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "portrait/v1/consent.grpc.pb.h"
#include "portrait/v1/ingest.grpc.pb.h"
#include "portrait/v1/profile.grpc.pb.h"
#include "tests/consent_harness.h"

ABSL_FLAG(int, rounds, 4, "kill/restart rounds");
ABSL_FLAG(std::string, portraitd, "tools/portraitd/portraitd",
          "path of the portraitd binary");
ABSL_FLAG(std::string, dir, "", "data directory (default: a new temp dir)");
ABSL_FLAG(int, seed, 1, "random seed");

namespace portrait {
namespace {

constexpr int kUsers = 6;
int failures = 0;
// In-flight revocations found committed / not committed after a kill.
int inflight_committed = 0;
int inflight_lost = 0;

#define CHECK_OR_REPORT(cond, ...)                                        \
  do {                                                                    \
    if (!(cond)) {                                                        \
      ++failures;                                                         \
      std::fprintf(stderr, "VIOLATION (%s:%d): %s\n", __FILE__, __LINE__, \
                   absl::StrCat(__VA_ARGS__).c_str());                    \
    }                                                                     \
  } while (0)

// A running portraitd child.
struct Child {
  pid_t pid = -1;
  int port = 0;
};

std::optional<Child> StartServer(const std::string& dir, int round) {
  // A log per start, so a stale port line is never read.
  const std::string log = absl::StrCat(dir, "/portraitd.", round, ".log");
  Child child;
  child.pid = fork();
  if (child.pid == 0) {
    FILE* out = std::freopen(log.c_str(), "w", stdout);
    if (out == nullptr) _exit(127);
    dup2(fileno(stdout), fileno(stderr));
    const std::string binary = absl::GetFlag(FLAGS_portraitd);
    const std::string data = "--data_dir=" + dir + "/db";
    execl(binary.c_str(), binary.c_str(), "--listen=127.0.0.1:0",
          "--plaintext_loopback", data.c_str(), "--maintenance_interval_s=1",
          "--disk_erasure_interval_s=1", "--block_cache_mb=8",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    std::ifstream in(log);
    std::string line;
    while (std::getline(in, line)) {
      // {"ts":…,"event":"serving","port":N,…}
      const size_t at = line.find("\"event\":\"serving\",\"port\":");
      if (at != std::string::npos &&
          std::sscanf(line.c_str() + at, "\"event\":\"serving\",\"port\":%d",
                      &child.port) == 1) {
        return child;
      }
    }
    if (waitpid(child.pid, nullptr, WNOHANG) != 0) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  std::fprintf(stderr, "portraitd did not start; see %s\n", log.c_str());
  return std::nullopt;
}

// One consent operation of the revoker thread.
struct Op {
  v1::SetConsentRequest request;
  v1::ConsentState result;  // The state it leads to.
  bool acked = false;
  int64_t since_ms = 0;  // From the response, when acked.
};

// One DeleteRecord of the deleter thread.
struct RecordDeletion {
  v1::Event event;
  bool acked = false;
};

// The account the deleter thread creates and deletes in a round.
struct AccountDeletion {
  std::string user;
  bool filled = false;  // Its events were acknowledged,
  int64_t stored = 0;   // this many.
  bool requested = false;
  bool acked = false;
};

// Everything the clients saw acknowledged, by user.
struct Observed {
  std::mutex mu;
  std::map<std::string, std::vector<Op>> ops;        // Per user, in order.
  std::map<std::string, int64_t> acked_searches;     // STORED SEARCH events.
  std::map<std::string, int64_t> inflight_searches;  // Sent, not answered.
  std::vector<std::string> receipts;
  std::map<std::string, bool> ever_stripped_like;
  // STORED SEARCH events not yet picked for deletion, by user.
  std::map<std::string, std::vector<v1::Event>> deletable;
  // SEARCH events deleted (acknowledged, or in flight and then retried)
  // since the last check of the counts, by user.
  std::map<std::string, int64_t> deleted_searches;
  std::vector<RecordDeletion> deletions;
  std::vector<AccountDeletion> accounts;
};

std::string User(int i) { return absl::StrCat("user", i); }

void IngestLoop(const std::shared_ptr<grpc::Channel>& channel, int thread,
                std::atomic<bool>* stop, Observed* seen) {
  auto ingest = v1::IngestService::NewStub(channel);
  std::mt19937 rng(thread * 7919 + absl::GetFlag(FLAGS_seed));
  for (int batch = 0; !stop->load(); ++batch) {
    v1::RecordEventsRequest request;
    const int64_t now = absl::ToUnixMillis(absl::Now());
    std::map<std::string, int64_t> searches;
    for (int i = 0; i < 20; ++i) {
      const std::string user = User(rng() % kUsers);
      const v1::Signal signal = (i % 2 == 0) ? v1::LIKE : v1::SEARCH;
      *request.add_events() = ConsentHarness::MakeEvent(
          absl::StrCat("p", getpid(), "-t", thread, "-", batch, "-", i), user,
          signal, now - static_cast<int64_t>(rng() % 30));
      if (signal == v1::SEARCH) ++searches[user];
    }
    {
      std::lock_guard<std::mutex> lock(seen->mu);
      for (auto& [user, n] : searches) seen->inflight_searches[user] += n;
    }
    v1::RecordEventsResponse response;
    grpc::ClientContext context;
    grpc::Status status = ingest->RecordEvents(&context, request, &response);
    std::lock_guard<std::mutex> lock(seen->mu);
    if (!status.ok()) return;  // The server died: stay "in flight".
    for (auto& [user, n] : searches) seen->inflight_searches[user] -= n;
    for (int i = 0; i < response.results_size(); ++i) {
      const v1::Event& e = request.events(i);
      if (e.signal() == v1::SEARCH &&
          response.results(i).outcome() == v1::STORED) {
        ++seen->acked_searches[e.user_id()];
        seen->deletable[e.user_id()].push_back(e);
      }
    }
  }
}

void RevokeLoop(const std::shared_ptr<grpc::Channel>& channel, int round,
                std::atomic<bool>* stop, Observed* seen) {
  auto consent = v1::ConsentService::NewStub(channel);
  std::mt19937 rng(round * 31 + absl::GetFlag(FLAGS_seed));
  for (int n = 0; !stop->load(); ++n) {
    const std::string user = User(rng() % kUsers);
    const bool like = rng() % 2 == 0;
    const bool grant = rng() % 2 == 0;
    Op op;
    v1::SetConsentRequest& r = op.request;
    r.set_user_id(user);
    r.set_requester(v1::REQUESTER_USER);
    r.set_caller_id("crash-loop");
    r.set_request_id(absl::StrCat("round", round, "-", n));
    r.set_policy_version(1);
    v1::SignalChange* c = r.add_changes()->mutable_signal();
    c->set_signal(like ? v1::LIKE : v1::SEARCH);
    c->set_grant(grant);
    if (!grant) c->set_action(like ? v1::STRIP : v1::FREEZE);
    op.result = grant ? v1::GRANTED : (like ? v1::STRIPPED : v1::FROZEN);
    size_t index;
    {
      std::lock_guard<std::mutex> lock(seen->mu);
      seen->ops[user].push_back(op);
      index = seen->ops[user].size() - 1;
    }
    v1::SetConsentResponse response;
    grpc::ClientContext context;
    if (!consent->SetConsent(&context, r, &response).ok()) return;
    std::lock_guard<std::mutex> lock(seen->mu);
    Op& done = seen->ops[user][index];
    done.acked = true;
    done.since_ms = response.consent().signals(c->signal() - 1).since_ms();
    seen->receipts.push_back(response.receipt_id());
    if (like && !grant) seen->ever_stripped_like[user] = true;
    absl::SleepFor(absl::Milliseconds(rng() % 5));
  }
}

v1::DeleteRecordRequest DeletionOf(const v1::Event& event) {
  v1::DeleteRecordRequest request;
  request.set_user_id(event.user_id());
  request.set_signal(event.signal());
  request.set_event_id(event.event_id());
  request.set_requester(v1::REQUESTER_USER);
  request.set_caller_id("crash-loop");
  return request;
}

v1::DeleteUserRequest AccountDeletionOf(const std::string& user) {
  v1::DeleteUserRequest request;
  request.set_user_id(user);
  request.set_requester(v1::REQUESTER_PRIVACY_DESK);
  request.set_caller_id("crash-loop");
  return request;
}

// Deletes stored searches one by one, and once in the round an account it
// filled with events first.
void DeleteLoop(const std::shared_ptr<grpc::Channel>& channel, int round,
                std::atomic<bool>* stop, Observed* seen) {
  auto profile = v1::ProfileService::NewStub(channel);
  auto ingest = v1::IngestService::NewStub(channel);
  std::mt19937 rng(round * 131 + absl::GetFlag(FLAGS_seed));
  size_t account;
  {
    std::lock_guard<std::mutex> lock(seen->mu);
    seen->accounts.push_back({absl::StrCat("gone", round)});
    account = seen->accounts.size() - 1;
  }
  const std::string gone = absl::StrCat("gone", round);
  {
    v1::RecordEventsRequest request;
    const int64_t now = absl::ToUnixMillis(absl::Now());
    for (int i = 0; i < 10; ++i) {
      *request.add_events() = ConsentHarness::MakeEvent(
          absl::StrCat(gone, "-", i), gone, i % 2 == 0 ? v1::LIKE : v1::SEARCH,
          now - i);
    }
    v1::RecordEventsResponse response;
    grpc::ClientContext context;
    if (!ingest->RecordEvents(&context, request, &response).ok()) return;
    std::lock_guard<std::mutex> lock(seen->mu);
    seen->accounts[account].filled = true;
    seen->accounts[account].stored = response.stored();
  }
  const int account_at = static_cast<int>(rng() % 20);
  for (int n = 0; !stop->load(); ++n) {
    if (n == account_at) {
      {
        std::lock_guard<std::mutex> lock(seen->mu);
        seen->accounts[account].requested = true;
      }
      v1::DeleteUserResponse response;
      grpc::ClientContext context;
      if (!profile->DeleteUser(&context, AccountDeletionOf(gone), &response)
               .ok()) {
        return;
      }
      std::lock_guard<std::mutex> lock(seen->mu);
      seen->accounts[account].acked = true;
      seen->receipts.push_back(response.receipt_id());
      continue;
    }
    size_t index;
    {
      std::lock_guard<std::mutex> lock(seen->mu);
      std::vector<v1::Event>& pool = seen->deletable[User(rng() % kUsers)];
      if (pool.empty()) continue;
      const size_t pick = rng() % pool.size();
      seen->deletions.push_back({pool[pick]});
      pool.erase(pool.begin() + pick);
      index = seen->deletions.size() - 1;
    }
    v1::DeleteRecordRequest request;
    {
      std::lock_guard<std::mutex> lock(seen->mu);
      request = DeletionOf(seen->deletions[index].event);
    }
    v1::DeleteRecordResponse response;
    grpc::ClientContext context;
    if (!profile->DeleteRecord(&context, request, &response).ok()) return;
    std::lock_guard<std::mutex> lock(seen->mu);
    seen->deletions[index].acked = true;
    ++seen->deleted_searches[request.user_id()];
    seen->receipts.push_back(response.receipt_id());
    absl::SleepFor(absl::Milliseconds(rng() % 5));
  }
}

struct Stubs {
  std::unique_ptr<v1::ConsentService::Stub> consent;
  std::unique_ptr<v1::ProfileService::Stub> profile;
  std::unique_ptr<v1::IngestService::Stub> ingest;
};

// The outcome of sending `event` again.
v1::EventOutcome Resend(Stubs& stubs, const v1::Event& event) {
  v1::RecordEventsRequest request;
  *request.add_events() = event;
  v1::RecordEventsResponse response;
  grpc::ClientContext context;
  if (!stubs.ingest->RecordEvents(&context, request, &response).ok()) {
    return v1::EVENT_OUTCOME_UNSPECIFIED;
  }
  return response.results(0).outcome();
}

int64_t StoredEvents(Stubs& stubs, const std::string& user) {
  v1::GetEventSummaryRequest request;
  request.set_user_id(user);
  v1::GetEventSummaryResponse summary;
  grpc::ClientContext context;
  if (!stubs.profile->GetEventSummary(&context, request, &summary).ok()) {
    return -1;
  }
  int64_t n = 0;
  for (const auto& s : summary.signals()) n += s.count();
  return n;
}

// Checks the record deletions: the acknowledged ones hold and nothing
// brings them back; the one in flight is retried (then it holds too).
void VerifyDeletions(Stubs& stubs, Observed* seen) {
  int resent = 0;
  for (RecordDeletion& d : seen->deletions) {
    const bool inflight = !d.acked;
    v1::DeleteRecordResponse retry;
    grpc::ClientContext context;
    const grpc::Status status =
        stubs.profile->DeleteRecord(&context, DeletionOf(d.event), &retry);
    CHECK_OR_REPORT(status.ok(), "retry of the deletion of ",
                    d.event.event_id(), ": ", status.error_message());
    if (!status.ok()) continue;
    if (inflight) {
      ++(retry.replayed() ? inflight_committed : inflight_lost);
      ++seen->deleted_searches[d.event.user_id()];
      seen->receipts.push_back(retry.receipt_id());
      d.acked = true;
    } else {
      CHECK_OR_REPORT(retry.replayed(), "acknowledged deletion of ",
                      d.event.event_id(), " was not there after a restart");
    }
    // A producer's retry of a sample of deleted events: never stored again.
    if (resent++ < 5) {
      const v1::EventOutcome outcome = Resend(stubs, d.event);
      CHECK_OR_REPORT(outcome == v1::REJECTED, "deleted event ",
                      d.event.event_id(),
                      " sent again: ", v1::EventOutcome_Name(outcome));
    }
  }
  seen->deletions.clear();  // Held; checked once is enough.
}

// Checks the account deletions: whole or nothing at the kill, and held.
void VerifyAccounts(Stubs& stubs, Observed* seen) {
  for (AccountDeletion& a : seen->accounts) {
    v1::GetConsentRequest get;
    get.set_user_id(a.user);
    v1::GetConsentResponse consent;
    grpc::ClientContext context;
    if (!stubs.consent->GetConsent(&context, get, &consent).ok()) {
      CHECK_OR_REPORT(false, "GetConsent failed for ", a.user);
      continue;
    }
    const bool deleted = consent.consent().account_deleted();
    const int64_t stored = StoredEvents(stubs, a.user);
    CHECK_OR_REPORT(deleted || !a.acked, a.user,
                    ": acknowledged account deletion not there");
    CHECK_OR_REPORT(deleted ? stored == 0 : (!a.filled || stored == a.stored),
                    a.user, deleted ? ": deleted account" : ": live account",
                    " has ", stored, " events, ", a.stored, " acknowledged");
    if (!a.requested) continue;
    v1::DeleteUserResponse retry;
    grpc::ClientContext retry_context;
    const grpc::Status status = stubs.profile->DeleteUser(
        &retry_context, AccountDeletionOf(a.user), &retry);
    CHECK_OR_REPORT(status.ok(), "retry of deleting ", a.user, ": ",
                    status.error_message());
    CHECK_OR_REPORT(retry.replayed() == deleted, a.user,
                    ": retry replayed=", retry.replayed(),
                    ", deleted=", deleted);
    if (!a.acked) ++(deleted ? inflight_committed : inflight_lost);
    seen->receipts.push_back(retry.receipt_id());
    CHECK_OR_REPORT(StoredEvents(stubs, a.user) == 0, a.user,
                    ": events left after the deletion");
    const v1::EventOutcome late = Resend(
        stubs,
        ConsentHarness::MakeEvent(absl::StrCat(a.user, "-late"), a.user,
                                  v1::LIKE, absl::ToUnixMillis(absl::Now())));
    CHECK_OR_REPORT(late == v1::REJECTED, a.user, ": a late event was ",
                    v1::EventOutcome_Name(late));
  }
  seen->accounts.clear();
}

v1::ConsentState StateOf(const v1::ConsentSnapshot& s, v1::Signal signal) {
  return s.signals(signal - 1).state();
}

// Checks one user's consent state and data after a restart.
void VerifyUser(Stubs& stubs, const std::string& user, Observed* seen) {
  v1::GetConsentRequest get;
  get.set_user_id(user);
  v1::GetConsentResponse consent;
  {
    grpc::ClientContext context;
    if (!stubs.consent->GetConsent(&context, get, &consent).ok()) {
      CHECK_OR_REPORT(false, "GetConsent failed for ", user);
      return;
    }
  }
  std::vector<Op>& ops = seen->ops[user];
  for (v1::Signal signal : {v1::LIKE, v1::SEARCH}) {
    std::optional<v1::ConsentState> acked;
    Op* inflight = nullptr;
    for (Op& op : ops) {
      if (op.request.changes(0).signal().signal() != signal) continue;
      if (op.acked)
        acked = op.result;
      else
        inflight = &op;
    }
    const v1::ConsentState state = StateOf(consent.consent(), signal);
    if (inflight != nullptr) {
      // Retrying the in-flight request tells whether it had committed.
      v1::SetConsentResponse retry;
      grpc::ClientContext context;
      grpc::Status s =
          stubs.consent->SetConsent(&context, inflight->request, &retry);
      CHECK_OR_REPORT(s.ok(),
                      "retry of in-flight request: ", s.error_message());
      if (s.ok() && retry.replayed()) {
        ++inflight_committed;
        CHECK_OR_REPORT(
            state == inflight->result, user, " ", v1::Signal_Name(signal),
            ": committed request but state ", v1::ConsentState_Name(state));
      } else if (s.ok()) {
        ++inflight_lost;
        CHECK_OR_REPORT(!acked.has_value() || state == *acked, user, " ",
                        v1::Signal_Name(signal),
                        ": uncommitted request but state ",
                        v1::ConsentState_Name(state));
      }
      inflight->acked = true;  // It is applied now, either way.
      inflight->since_ms = retry.consent().signals(signal - 1).since_ms();
      if (signal == v1::LIKE && inflight->result == v1::STRIPPED) {
        seen->ever_stripped_like[user] = true;
      }
    } else if (acked.has_value()) {
      CHECK_OR_REPORT(state == *acked, user, " ", v1::Signal_Name(signal),
                      ": acknowledged ", v1::ConsentState_Name(*acked),
                      " but state is ", v1::ConsentState_Name(state));
    }
  }
}

// Checks stored events and the ledger of one user against its consent.
void VerifyData(Stubs& stubs, const std::string& user, Observed* seen) {
  v1::GetConsentRequest get;
  get.set_user_id(user);
  v1::GetConsentResponse consent;
  grpc::ClientContext c1;
  if (!stubs.consent->GetConsent(&c1, get, &consent).ok()) return;
  v1::GetEventSummaryRequest summary_request;
  summary_request.set_user_id(user);
  v1::GetEventSummaryResponse summary;
  grpc::ClientContext c2;
  if (!stubs.profile->GetEventSummary(&c2, summary_request, &summary).ok()) {
    CHECK_OR_REPORT(false, "GetEventSummary failed for ", user);
    return;
  }
  std::map<v1::Signal, v1::SignalEventSummary> stored;
  for (const auto& s : summary.signals()) stored[s.signal()] = s;
  const v1::SignalConsent& like = consent.consent().signals(v1::LIKE - 1);
  if (like.state() == v1::STRIPPED) {
    CHECK_OR_REPORT(stored[v1::LIKE].count() == 0, user, ": LIKE stripped but ",
                    stored[v1::LIKE].count(), " events stored");
  } else if (like.state() == v1::GRANTED && seen->ever_stripped_like[user] &&
             stored[v1::LIKE].count() > 0) {
    CHECK_OR_REPORT(stored[v1::LIKE].oldest_ms() >= like.since_ms(), user,
                    ": LIKE event from before the grant survived");
  }
  const int64_t searches = stored[v1::SEARCH].count();
  const int64_t kept =
      seen->acked_searches[user] - seen->deleted_searches[user];
  CHECK_OR_REPORT(
      searches >= kept && searches <= kept + seen->inflight_searches[user],
      user, ": ", searches, " SEARCH events stored, ",
      seen->acked_searches[user], " acknowledged, ",
      seen->deleted_searches[user], " deleted");
  // Whatever was in flight is now known: count it as acknowledged.
  seen->acked_searches[user] = searches;
  seen->inflight_searches[user] = 0;
  seen->deleted_searches[user] = 0;

  // Every page of the ledger (it outgrows one page in a long soak): gapless
  // from 1, and the newest entry of each signal agrees with the state.
  v1::GetConsentHistoryRequest history_request;
  history_request.set_user_id(user);
  history_request.set_page_size(1000);
  std::map<v1::Signal, std::string> last;
  int64_t expected_sequence = 1;
  while (true) {
    v1::GetConsentHistoryResponse history;
    grpc::ClientContext c3;
    const bool read =
        stubs.consent->GetConsentHistory(&c3, history_request, &history).ok();
    CHECK_OR_REPORT(read, "history of ", user);
    if (!read) break;
    for (const v1::LedgerEntry& e : history.entries()) {
      CHECK_OR_REPORT(e.sequence() == expected_sequence, user,
                      ": ledger entry ", e.sequence(), " where ",
                      expected_sequence, " was due");
      expected_sequence = e.sequence() + 1;
      last[e.change().signal().signal()] = e.new_value();
    }
    if (history.next_page_token().empty()) break;
    history_request.set_page_token(history.next_page_token());
  }
  for (v1::Signal signal : {v1::LIKE, v1::SEARCH}) {
    if (!last.count(signal)) continue;
    CHECK_OR_REPORT(
        last[signal] ==
            v1::ConsentState_Name(StateOf(consent.consent(), signal)),
        user, " ", v1::Signal_Name(signal), ": ledger says ", last[signal]);
  }
}

void VerifyReceiptsComplete(Stubs& stubs,
                            const std::vector<std::string>& receipts) {
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  for (const std::string& id : receipts) {
    v1::GetErasureStatusRequest request;
    request.set_receipt_id(id);
    v1::GetErasureStatusResponse status;
    bool complete = false;
    while (!complete && absl::Now() < deadline) {
      grpc::ClientContext context;
      grpc::Status s =
          stubs.consent->GetErasureStatus(&context, request, &status);
      CHECK_OR_REPORT(s.ok(), "receipt ", id, ": ", s.error_message());
      if (!s.ok()) return;
      complete = status.complete();
      if (!complete) absl::SleepFor(absl::Milliseconds(50));
    }
    CHECK_OR_REPORT(complete, "receipt ", id, " still pending after restart");
  }
}

int Run() {
  std::string dir = absl::GetFlag(FLAGS_dir);
  if (dir.empty()) {
    char pattern[] = "/tmp/crash_loop.XXXXXX";
    dir = mkdtemp(pattern);
  }
  Observed seen;
  int acked_deletions = 0;
  std::mt19937 rng(absl::GetFlag(FLAGS_seed));
  const int rounds = absl::GetFlag(FLAGS_rounds);
  for (int round = 0; round <= rounds; ++round) {
    std::optional<Child> child = StartServer(dir, round);
    if (!child) return EXIT_FAILURE;
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", child->port),
                                       grpc::InsecureChannelCredentials());
    if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                   std::chrono::seconds(10))) {
      std::fprintf(stderr, "cannot connect to portraitd\n");
      return EXIT_FAILURE;
    }
    Stubs stubs{v1::ConsentService::NewStub(channel),
                v1::ProfileService::NewStub(channel),
                v1::IngestService::NewStub(channel)};
    const int before = failures;
    {
      std::lock_guard<std::mutex> lock(seen.mu);
      for (int u = 0; u < kUsers; ++u) VerifyUser(stubs, User(u), &seen);
      VerifyDeletions(stubs, &seen);
      VerifyAccounts(stubs, &seen);
      for (int u = 0; u < kUsers; ++u) VerifyData(stubs, User(u), &seen);
    }
    VerifyReceiptsComplete(stubs, seen.receipts);
    seen.receipts.clear();
    if (round == rounds) {
      kill(child->pid, SIGTERM);
      int status = 0;
      waitpid(child->pid, &status, 0);
      CHECK_OR_REPORT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "clean shutdown exited with status ", status);
      std::printf("final check: %s\n",
                  failures == before ? "ok" : "VIOLATIONS");
      break;
    }
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back(IngestLoop, channel, round * 2 + t, &stop, &seen);
    }
    threads.emplace_back(RevokeLoop, channel, round, &stop, &seen);
    threads.emplace_back(DeleteLoop, channel, round, &stop, &seen);
    absl::SleepFor(absl::Milliseconds(150 + rng() % 400));
    kill(child->pid, SIGKILL);
    waitpid(child->pid, nullptr, 0);
    stop = true;
    for (std::thread& t : threads) t.join();
    int acked = 0;
    for (auto& [user, ops] : seen.ops) {
      for (const Op& op : ops) acked += op.acked ? 1 : 0;
    }
    for (const RecordDeletion& d : seen.deletions) {
      acked_deletions += d.acked ? 1 : 0;
    }
    for (const AccountDeletion& a : seen.accounts) {
      acked_deletions += a.acked ? 1 : 0;
    }
    std::printf(
        "round %d: restart verified (%s), then killed under load; %d consent "
        "ops and %d deletions acknowledged so far; in flight at a kill: %d "
        "committed, %d not\n",
        round, failures == before ? "ok" : "VIOLATIONS", acked, acked_deletions,
        inflight_committed, inflight_lost);
    std::fflush(stdout);
  }
  std::printf("%s: %d violations\n", failures == 0 ? "PASS" : "FAIL", failures);
  // A scratch directory is removed when all passed; kept for a look if not.
  if (absl::GetFlag(FLAGS_dir).empty() && failures == 0) {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

}  // namespace
}  // namespace portrait

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return portrait::Run();
}
