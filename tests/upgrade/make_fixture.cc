// Writes the upgrade test's fixture: a database in the format of the
// version that runs this program, and that version's answers about it.
//
//   bazel run //tests/upgrade:make_fixture -- --out=$PWD/tests/upgrade/<name>
//
// Into --out (which must not exist): db/, the RocksDB files of a server that
// was given the random world (catalog, six rounds of events, consent
// changes of every kind, a trained model and a revocation after it), ran its
// maintenance, restarted and ran it again; and answers.txt, ReadEverything
// from that server, one answer a line. The clock is fixed, so the same
// version writes the same answers.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "tests/random_world.h"
#include "tests/test_server.h"
#include "tests/upgrade/answers.h"

ABSL_FLAG(std::string, out, "", "Directory to create (must not exist).");

namespace portrait {
namespace {

bool Check(const grpc::Status& status, absl::string_view what) {
  if (!status.ok()) {
    std::cerr << what << ": " << status.error_code() << " "
              << status.error_message() << "\n";
  }
  return status.ok();
}

bool Check(const absl::Status& status, absl::string_view what) {
  if (!status.ok()) std::cerr << what << ": " << status << "\n";
  return status.ok();
}

v1::SetConsentRequest Change(const std::string& user,
                             const std::string& request_id) {
  v1::SetConsentRequest request;
  request.set_user_id(user);
  request.set_requester(v1::REQUESTER_USER);
  request.set_caller_id("upgrade-fixture");
  request.set_request_id(request_id);
  request.set_policy_version(1);
  return request;
}

v1::SetConsentRequest Revoke(const std::string& user, v1::Signal signal,
                             v1::RevocationAction action,
                             const std::string& request_id) {
  v1::SetConsentRequest request = Change(user, request_id);
  v1::SignalChange* change = request.add_changes()->mutable_signal();
  change->set_signal(signal);
  change->set_grant(false);
  change->set_action(action);
  return request;
}

bool SetConsent(TestServer& portrait, const v1::SetConsentRequest& request) {
  grpc::ClientContext context;
  v1::SetConsentResponse response;
  return Check(portrait.consent->SetConsent(&context, request, &response),
               absl::StrCat("SetConsent ", request.request_id()));
}

bool Send(TestServer& portrait, const std::vector<v1::Event>& events) {
  v1::RecordEventsRequest request;
  for (const v1::Event& e : events) *request.add_events() = e;
  v1::RecordEventsResponse response;
  grpc::ClientContext context;
  return Check(portrait.ingest->RecordEvents(&context, request, &response),
               "RecordEvents");
}

bool Populate(TestServer& portrait, FakeClock& clock) {
  RandomWorld world(/*seed=*/2026, v1::LIKE);
  {
    v1::UpsertItemsResponse response;
    grpc::ClientContext context;
    if (!Check(
            portrait.ingest->UpsertItems(&context, world.Catalog(), &response),
            "UpsertItems")) {
      return false;
    }
  }
  // Everyone opts in to the sensitive signals, so they carry data.
  for (int u = 0; u < RandomWorld::kUsers; ++u) {
    for (v1::Signal signal : {v1::LOCATION, v1::CONTACTS}) {
      v1::SetConsentRequest request =
          Change(RandomWorld::User(u), absl::StrCat("opt-in-", signal));
      v1::SignalChange* change = request.add_changes()->mutable_signal();
      change->set_signal(signal);
      change->set_grant(true);
      if (!SetConsent(portrait, request)) return false;
    }
  }
  for (int round = 0; round < 6; ++round) {
    if (!Send(portrait, world.Batch(40, clock.NowMillis(), /*target_user=*/3)))
      return false;
    clock.AdvanceMillis(60'000);
  }
  // Changes of every kind before training.
  v1::SetConsentRequest purposes = Change("u4", "purposes");
  purposes.add_changes()->mutable_purpose()->set_purpose(v1::PERSONALIZED_FEED);
  v1::RelationshipChange* blacklist =
      purposes.add_changes()->mutable_relationship();
  blacklist->set_relationship(v1::BLACKLIST_BRAND);
  blacklist->set_target_id("b1");
  blacklist->set_add(true);
  v1::SetConsentRequest minor = Change("u6", "minor");
  minor.add_changes()->mutable_minor_status()->set_minor(true);
  if (!SetConsent(portrait, Revoke("u3", v1::LIKE, v1::STRIP, "strip-like")) ||
      !SetConsent(portrait,
                  Revoke("u2", v1::SEARCH, v1::FREEZE, "freeze-search")) ||
      !SetConsent(portrait, purposes) || !SetConsent(portrait, minor)) {
    return false;
  }
  if (!Check(portrait.server->TrainModel().status(), "TrainModel")) {
    return false;
  }
  // A revocation the serving model has not caught up with.
  clock.AdvanceMillis(60'000);
  if (!SetConsent(portrait,
                  Revoke("u7", v1::BROWSE, v1::STRIP, "strip-browse")) ||
      !Send(portrait, world.Batch(40, clock.NowMillis(), 3))) {
    return false;
  }
  return Check(portrait.server->RunMaintenance().status(), "RunMaintenance");
}

int Main() {
  const std::filesystem::path out = absl::GetFlag(FLAGS_out);
  if (out.empty() || std::filesystem::exists(out)) {
    std::cerr << "--out must name a directory that does not exist\n";
    return 2;
  }
  FakeClock clock(RandomWorld::kStartMs);
  TestServer portrait;
  if (!portrait.Start((out / "db").string(), &clock) ||
      !Populate(portrait, clock)) {
    return 1;
  }
  portrait.Stop();
  clock.SetMillis(kUpgradeFixtureNowMs);
  if (!portrait.Start((out / "db").string(), &clock) ||
      !Check(portrait.server->RunMaintenance().status(), "RunMaintenance")) {
    return 1;
  }
  std::ofstream answers(out / "answers.txt");
  for (const std::string& line : ReadEverything(portrait)) {
    answers << line << "\n";
  }
  portrait.Stop();
  // The info logs are not part of the format.
  for (const auto& entry : std::filesystem::directory_iterator(out / "db")) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("LOG", 0) == 0 || name == "LOCK") {
      std::filesystem::remove(entry.path());
    }
  }
  answers.close();
  if (!answers.good()) {
    std::cerr << "cannot write " << (out / "answers.txt") << "\n";
    return 1;
  }
  std::cout << "wrote " << out << "\n";
  return 0;
}

}  // namespace
}  // namespace portrait

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return portrait::Main();
}
