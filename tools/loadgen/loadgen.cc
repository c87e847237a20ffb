// portrait_loadgen: load generator and Recommend benchmark.
//
// Loads a SyntheticWorld into a server (catalog, sensitive opt-ins, events
// over client streams), then, for --seconds each, drives Recommend (FEED,
// k=--limit, random users) and an empty unary RPC (grpc.health.v1 Check)
// through the same server and the same channels, from --threads client
// threads, and prints throughput and p50/p99 latency of both and their
// ratio. With no --server it starts portraitd's server in this process on a
// temporary data directory.
//
//   bazel run //tools/loadgen -- --users=100000 --posts=20000 \
//       --brands=2000 --events=5000000 --seconds=20
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "portrait/v1/consent.grpc.pb.h"
#include "portrait/v1/ingest.grpc.pb.h"
#include "portrait/v1/recommend.grpc.pb.h"
#include "tools/bench/local_server.h"
#include "tools/synth/load_world.h"
#include "tools/synth/synthetic_world.h"

ABSL_FLAG(std::string, server, "", "portraitd address; empty starts one here");
ABSL_FLAG(int, users, 10000, "synthetic users");
ABSL_FLAG(int, posts, 2000, "synthetic posts");
ABSL_FLAG(int, brands, 200, "synthetic brands");
ABSL_FLAG(int64_t, events, 200000, "synthetic events");
ABSL_FLAG(int, seed, 1, "world seed");
ABSL_FLAG(bool, ingest, true, "load the world first");
ABSL_FLAG(int, threads, 2, "client threads for the measurements");
ABSL_FLAG(int, seconds, 10, "seconds per measurement");
ABSL_FLAG(int, limit, 20, "items per Recommend");
ABSL_FLAG(bool, route_by_user, false,
          "send each Recommend's user in x-portrait-user, as calls through a "
          "cluster's HAProxy must be (docs/SCALING.md)");
ABSL_FLAG(bool, revoke_probe, false,
          "after the measurements, strip LIKE of --probe_user and time how "
          "long until its receipt is complete (model retrained)");
ABSL_FLAG(int, probe_user, 0,
          "synthetic user the probe revokes for (0 is "
          "the most active)");

namespace portrait {
namespace {

using Clock = std::chrono::steady_clock;

struct Latencies {
  absl::Mutex mu;
  std::vector<double> us;
  int64_t errors = 0;
};

void Report(const char* name, Latencies& l, double seconds) {
  std::sort(l.us.begin(), l.us.end());
  auto at = [&](double q) {
    return l.us.empty() ? 0.0
                        : l.us[std::min(l.us.size() - 1,
                                        static_cast<size_t>(q * l.us.size()))];
  };
  std::printf(
      "%-26s %9.0f rpc/s  p50 %7.0f us  p99 %7.0f us  (%zu calls, %lld "
      "errors)\n",
      name, l.us.size() / seconds, at(0.5), at(0.99), l.us.size(),
      static_cast<long long>(l.errors));
}

// Runs `call(thread, rng)` on every thread for the duration; records each
// call's latency.
double Measure(int threads, int seconds,
               const std::function<bool(int, std::mt19937_64&)>& call,
               Latencies* out) {
  const auto deadline = Clock::now() + std::chrono::seconds(seconds);
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::mt19937_64 rng(t + 1);
      std::vector<double> local;
      int64_t errors = 0;
      while (Clock::now() < deadline) {
        const auto begin = Clock::now();
        const bool ok = call(t, rng);
        local.push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - begin)
                .count());
        errors += ok ? 0 : 1;
      }
      absl::MutexLock lock(&out->mu);
      out->us.insert(out->us.end(), local.begin(), local.end());
      out->errors += errors;
    });
  }
  for (std::thread& t : pool) t.join();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Strips LIKE of --probe_user and waits for the receipt to be complete:
// events erased, bytes compacted, model retrained.
bool RevokeProbe(const std::shared_ptr<grpc::Channel>& channel) {
  auto consent = v1::ConsentService::NewStub(channel);
  v1::SetConsentRequest request;
  request.set_user_id(SyntheticWorld::UserId(absl::GetFlag(FLAGS_probe_user)));
  request.set_requester(v1::REQUESTER_USER);
  request.set_caller_id("loadgen");
  request.set_request_id(
      absl::StrCat("probe-", absl::ToUnixMillis(absl::Now())));
  request.set_policy_version(1);
  request.add_changes()->mutable_signal()->set_signal(v1::LIKE);
  const absl::Time start = absl::Now();
  v1::SetConsentResponse response;
  {
    grpc::ClientContext context;
    grpc::Status status = consent->SetConsent(&context, request, &response);
    if (!status.ok()) {
      std::fprintf(stderr, "probe: %s\n", status.error_message().c_str());
      return false;
    }
  }
  const double returned_ms = absl::ToDoubleMilliseconds(absl::Now() - start);
  v1::GetErasureStatusRequest status_request;
  status_request.set_receipt_id(response.receipt_id());
  v1::GetErasureStatusResponse status;
  while (absl::Now() - start < absl::Minutes(10)) {
    grpc::ClientContext context;
    if (!consent->GetErasureStatus(&context, status_request, &status).ok())
      return false;
    if (status.complete()) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  std::printf(
      "revocation probe: SetConsent returned in %.1f ms; receipt %s "
      "after %.1f s\n",
      returned_ms, status.complete() ? "complete" : "NOT complete",
      absl::ToDoubleSeconds(absl::Now() - start));
  return status.complete();
}

int Run() {
  std::unique_ptr<LocalServer> server;
  std::string address = absl::GetFlag(FLAGS_server);
  if (address.empty()) {
    auto started = LocalServer::Start();
    if (!started.ok()) {
      std::fprintf(stderr, "%s\n", started.status().ToString().c_str());
      return EXIT_FAILURE;
    }
    server = std::move(*started);
    address = server->address();
  }
  SyntheticWorld::Options world_options;
  world_options.users = absl::GetFlag(FLAGS_users);
  world_options.posts = absl::GetFlag(FLAGS_posts);
  world_options.brands = absl::GetFlag(FLAGS_brands);
  world_options.events = absl::GetFlag(FLAGS_events);
  world_options.seed = absl::GetFlag(FLAGS_seed);
  world_options.now_ms = absl::ToUnixMillis(absl::Now());
  SyntheticWorld world(world_options);
  const int threads = std::max(1, absl::GetFlag(FLAGS_threads));
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int t = 0; t < threads; ++t) {
    grpc::ChannelArguments args;
    args.SetInt("loadgen.channel", t);  // A connection per client thread.
    channels.push_back(grpc::CreateCustomChannel(
        address, grpc::InsecureChannelCredentials(), args));
  }
  if (!channels[0]->WaitForConnected(std::chrono::system_clock::now() +
                                     std::chrono::seconds(10))) {
    std::fprintf(stderr, "portrait_loadgen: cannot connect to %s\n",
                 address.c_str());
    return EXIT_FAILURE;
  }
  std::printf(
      "portrait_loadgen: %d users, %d posts, %d brands, %lld events; "
      "%d client threads, %u cores\n",
      world_options.users, world_options.posts, world_options.brands,
      static_cast<long long>(world_options.events), threads,
      std::thread::hardware_concurrency());
  if (absl::GetFlag(FLAGS_ingest) && !LoadWorld(channels[0], world))
    return EXIT_FAILURE;

  std::vector<std::unique_ptr<v1::RecommendService::Stub>> recommend;
  std::vector<std::unique_ptr<grpc::health::v1::Health::Stub>> health;
  for (auto& channel : channels) {
    recommend.push_back(v1::RecommendService::NewStub(channel));
    health.push_back(grpc::health::v1::Health::NewStub(channel));
  }
  const int seconds = absl::GetFlag(FLAGS_seconds);
  Latencies empty, feed;
  const double empty_s = Measure(
      threads, seconds,
      [&](int t, std::mt19937_64&) {
        grpc::health::v1::HealthCheckRequest request;
        grpc::health::v1::HealthCheckResponse response;
        grpc::ClientContext context;
        return health[t]->Check(&context, request, &response).ok();
      },
      &empty);
  int64_t items = 0;
  std::mutex items_mu;
  const double feed_s = Measure(
      threads, seconds,
      [&](int t, std::mt19937_64& rng) {
        v1::RecommendRequest request;
        request.set_user_id(
            SyntheticWorld::UserId(rng() % world_options.users));
        request.set_surface(v1::FEED);
        request.set_limit(absl::GetFlag(FLAGS_limit));
        v1::RecommendResponse response;
        grpc::ClientContext context;
        if (absl::GetFlag(FLAGS_route_by_user)) {
          context.AddMetadata("x-portrait-user", request.user_id());
        }
        const bool ok =
            recommend[t]->Recommend(&context, request, &response).ok();
        std::lock_guard<std::mutex> lock(items_mu);
        items += response.items_size();
        return ok;
      },
      &feed);
  if (absl::GetFlag(FLAGS_revoke_probe) && !RevokeProbe(channels[0])) {
    return EXIT_FAILURE;
  }
  Report("empty RPC (health Check)", empty, empty_s);
  Report("Recommend FEED", feed, feed_s);
  const double ratio = (feed.us.size() / feed_s) / (empty.us.size() / empty_s);
  std::printf(
      "Recommend/empty throughput ratio %.2f; %.1f items per response\n", ratio,
      feed.us.empty() ? 0.0 : static_cast<double>(items) / feed.us.size());
  const bool ok = empty.errors == 0 && feed.errors == 0 && !feed.us.empty();
  recommend.clear();
  health.clear();
  channels.clear();
  server.reset();
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}

}  // namespace
}  // namespace portrait

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  portrait::DisableLockOrderChecking();
  return portrait::Run();
}
