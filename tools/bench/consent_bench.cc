// consent_bench: latency of SetConsent STRIP of a signal holding N events for
// one user (one synced write: state, ledger, receipt, range delete of the
// events and deletes of their idempotency keys), through gRPC against an
// in-process server on loopback. For scale, the same run times GetConsent,
// a read-only call on the same path. docs/BENCHMARKS.md has figures.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
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
#include "tools/bench/local_server.h"
#include "tools/bench/percentiles.h"

ABSL_FLAG(int, iterations, 300, "revocations to time (one fresh user each)");
ABSL_FLAG(int, events, 1000, "LIKE events stored per user before the strip");
ABSL_FLAG(std::string, dir, "",
          "data directory (default: a new one in /tmp, removed afterwards)");

namespace portrait {
namespace {

bool StoreEvents(v1::IngestService::Stub& ingest, const std::string& user,
                 int events) {
  const int64_t now = absl::ToUnixMillis(absl::Now());
  for (int start = 0; start < events; start += 1000) {
    v1::RecordEventsRequest request;
    for (int i = start; i < std::min(events, start + 1000); ++i) {
      v1::Event* e = request.add_events();
      e->set_event_id(absl::StrCat("like-", i));
      e->set_user_id(user);
      e->set_signal(v1::LIKE);
      e->mutable_target()->set_kind(v1::ITEM_POST);
      e->mutable_target()->set_id(absl::StrCat("post-", i % 5000));
      e->set_occurred_at_ms(now - 60'000 + i);
    }
    v1::RecordEventsResponse response;
    grpc::ClientContext context;
    if (!ingest.RecordEvents(&context, request, &response).ok() ||
        response.stored() != request.events_size()) {
      return false;
    }
  }
  return true;
}

int Run() {
  auto server = LocalServer::Start(absl::GetFlag(FLAGS_dir));
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return EXIT_FAILURE;
  }
  auto channel = grpc::CreateChannel((*server)->address(),
                                     grpc::InsecureChannelCredentials());
  auto ingest = v1::IngestService::NewStub(channel);
  auto consent = v1::ConsentService::NewStub(channel);
  const int iterations = absl::GetFlag(FLAGS_iterations);
  const int events = absl::GetFlag(FLAGS_events);
  std::vector<double> strip_us, get_us;
  for (int i = 0; i < iterations; ++i) {
    const std::string user = absl::StrCat("bench-user-", i);
    if (!StoreEvents(*ingest, user, events)) {
      std::fprintf(stderr, "storing events failed\n");
      return EXIT_FAILURE;
    }
    v1::GetConsentRequest get;
    get.set_user_id(user);
    v1::GetConsentResponse got;
    absl::Time start = absl::Now();
    grpc::ClientContext get_context;
    if (!consent->GetConsent(&get_context, get, &got).ok()) return EXIT_FAILURE;
    get_us.push_back(absl::ToDoubleMicroseconds(absl::Now() - start));

    v1::SetConsentRequest request;
    request.set_user_id(user);
    request.set_requester(v1::REQUESTER_USER);
    request.set_caller_id("consent-bench");
    request.set_request_id(absl::StrCat("strip-", i));
    request.set_policy_version(1);
    v1::SignalChange* change = request.add_changes()->mutable_signal();
    change->set_signal(v1::LIKE);
    change->set_action(v1::STRIP);
    v1::SetConsentResponse response;
    start = absl::Now();
    grpc::ClientContext context;
    grpc::Status status = consent->SetConsent(&context, request, &response);
    strip_us.push_back(absl::ToDoubleMicroseconds(absl::Now() - start));
    if (!status.ok() ||
        response.consent().signals(v1::LIKE - 1).state() != v1::STRIPPED) {
      std::fprintf(stderr, "strip failed: %s\n",
                   status.error_message().c_str());
      return EXIT_FAILURE;
    }
  }
  Percentiles strip = Summarize(strip_us);
  Percentiles get = Summarize(get_us);
  std::printf(
      "consent_bench: %d users, %d LIKE events each, %u cores, synced\n",
      iterations, events, std::thread::hardware_concurrency());
  std::printf("%-34s p50 %8.0f us  p99 %8.0f us  max %8.0f us\n",
              "SetConsent STRIP (gRPC)", strip.p50, strip.p99, strip.max);
  std::printf("%-34s p50 %8.0f us  p99 %8.0f us  max %8.0f us\n",
              "GetConsent (gRPC, baseline)", get.p50, get.p99, get.max);
  std::printf("strip p99 ratio to GetConsent p99: %.1f\n", strip.p99 / get.p99);
  return EXIT_SUCCESS;
}

}  // namespace
}  // namespace portrait

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  portrait::DisableLockOrderChecking();
  return portrait::Run();
}
