// push_bench: StreamPushCandidates over every user of a synthetic world
// (the loadgen world by default: 100k users, 20k posts, 2k brands, 5M
// events), through gRPC against an in-process server on loopback. The
// baseline streams as many empty messages over the same channel from the
// same server. Also the time to the first message of a stream, over streams
// the client cancels after it. docs/BENCHMARKS.md has figures.
//
// The server's clock is fixed at 10:13 in Shanghai after the world's events
// (outside the shipped quiet hours, whatever the time of the run), and
// nothing was pushed before: every user is planned in full. A scratch world's
// events end at SyntheticWorld's default now; tools/loadgen stamps its events
// with the time it ran, so with --data_dir the clock is the next 10:13 in
// Shanghai after the time of the run.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "portrait/bench/baseline.grpc.pb.h"
#include "portrait/v1/push.grpc.pb.h"
#include "tools/bench/local_server.h"
#include "tools/synth/load_world.h"
#include "tools/synth/synthetic_world.h"

ABSL_FLAG(std::string, data_dir, "",
          "an existing database to open (one tools/loadgen loaded, with its "
          "model); empty: a scratch one loaded with a world of the sizes "
          "below, removed afterwards");
ABSL_FLAG(int, users, 100000, "synthetic users (scratch database)");
ABSL_FLAG(int, posts, 20000, "synthetic posts (scratch database)");
ABSL_FLAG(int, brands, 2000, "synthetic brands (scratch database)");
ABSL_FLAG(int64_t, events, 5000000, "synthetic events (scratch database)");
ABSL_FLAG(int, limit, 3, "candidates per user");
ABSL_FLAG(int, rounds, 2, "alternating baseline and push streams");
ABSL_FLAG(int, first_message_streams, 100,
          "streams timed to their first message (0: none)");

namespace portrait {
namespace {

// 10:13 in Shanghai, 12 hours after SyntheticWorld's default now.
constexpr int64_t kBenchNowMs = 1'790'000'000'000 + 12 * 3'600'000;

// The first time at or after `after_ms` with the time of day of kBenchNowMs
// (Shanghai keeps UTC+8 all year, so a day is always 24 hours there).
int64_t SameTimeOfDayAfter(int64_t after_ms) {
  constexpr int64_t kDayMs = 24 * 3'600'000;
  const int64_t days = (after_ms - kBenchNowMs + kDayMs - 1) / kDayMs;
  return kBenchNowMs + std::max<int64_t>(days, 0) * kDayMs;
}

class BaselineService final : public bench::Baseline::Service {
 public:
  grpc::Status EmptyStream(grpc::ServerContext*,
                           const bench::EmptyStreamRequest* request,
                           grpc::ServerWriter<bench::Empty>* writer) override {
    const bench::Empty empty;
    for (int64_t i = 0; i < request->count(); ++i) {
      if (!writer->Write(empty)) break;
    }
    return grpc::Status::OK;
  }
};

v1::StreamPushCandidatesRequest EveryUser() {
  v1::StreamPushCandidatesRequest request;
  request.mutable_segment()->set_all_users(true);
  request.set_purpose(v1::PUSH_CONTENT);
  request.set_limit_per_user(absl::GetFlag(FLAGS_limit));
  request.set_include_empty(true);
  return request;
}

int Run() {
  PortraitServer::Options options;
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  FakeClock clock(options.data_dir.empty()
                      ? kBenchNowMs
                      : SameTimeOfDayAfter(absl::ToUnixMillis(absl::Now())));
  BaselineService baseline;
  options.clock = &clock;
  options.auto_train = false;
  options.extra_services.push_back(&baseline);
  const bool scratch = options.data_dir.empty();
  auto server = LocalServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return EXIT_FAILURE;
  }
  auto channel = grpc::CreateChannel((*server)->address(),
                                     grpc::InsecureChannelCredentials());
  if (scratch) {
    SyntheticWorld::Options world_options;
    world_options.users = absl::GetFlag(FLAGS_users);
    world_options.posts = absl::GetFlag(FLAGS_posts);
    world_options.brands = absl::GetFlag(FLAGS_brands);
    world_options.events = absl::GetFlag(FLAGS_events);
    SyntheticWorld world(world_options);
    if (!LoadWorld(channel, world)) return EXIT_FAILURE;
    auto trained = (*server)->server().TrainModel();
    if (!trained.ok()) {
      std::fprintf(stderr, "%s\n", trained.status().ToString().c_str());
      return EXIT_FAILURE;
    }
  }
  // As maintenance does after training.
  (*server)->server().WarmModel();
  auto push = v1::PushService::NewStub(channel);
  auto empty = bench::Baseline::NewStub(channel);

  double push_best = 0, empty_best = 0;
  int64_t users = 0, with_candidates = 0;
  for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    absl::Time start = absl::Now();
    grpc::ClientContext context;
    auto reader = push->StreamPushCandidates(&context, EveryUser());
    v1::UserPushCandidates message;
    users = with_candidates = 0;
    while (reader->Read(&message)) {
      ++users;
      with_candidates += message.candidates_size() > 0 ? 1 : 0;
    }
    if (grpc::Status status = reader->Finish(); !status.ok()) {
      std::fprintf(stderr, "push stream: %s\n", status.error_message().c_str());
      return EXIT_FAILURE;
    }
    push_best =
        std::max(push_best, users / absl::ToDoubleSeconds(absl::Now() - start));

    start = absl::Now();
    grpc::ClientContext baseline_context;
    bench::EmptyStreamRequest count;
    count.set_count(users);
    auto empties = empty->EmptyStream(&baseline_context, count);
    bench::Empty nothing;
    int64_t received = 0;
    while (empties->Read(&nothing)) ++received;
    if (!empties->Finish().ok() || received != users) {
      std::fprintf(stderr, "baseline stream failed\n");
      return EXIT_FAILURE;
    }
    empty_best = std::max(
        empty_best, received / absl::ToDoubleSeconds(absl::Now() - start));
  }

  std::vector<double> first_us;
  for (int i = 0; i < absl::GetFlag(FLAGS_first_message_streams); ++i) {
    const absl::Time start = absl::Now();
    grpc::ClientContext context;
    auto reader = push->StreamPushCandidates(&context, EveryUser());
    v1::UserPushCandidates message;
    if (!reader->Read(&message)) {
      std::fprintf(stderr, "a stream had no first message\n");
      return EXIT_FAILURE;
    }
    first_us.push_back(absl::ToDoubleMicroseconds(absl::Now() - start));
    context.TryCancel();
    (void)reader->Finish();
  }
  std::sort(first_us.begin(), first_us.end());
  auto at = [&](double q) {
    return first_us[std::min(first_us.size() - 1,
                             static_cast<size_t>(q * first_us.size()))];
  };
  std::printf(
      "push_bench: %lld users streamed (%lld with candidates), %d per user, "
      "%u cores, best of %d\n",
      static_cast<long long>(users), static_cast<long long>(with_candidates),
      absl::GetFlag(FLAGS_limit), std::thread::hardware_concurrency(),
      absl::GetFlag(FLAGS_rounds));
  std::printf("empty messages (baseline)     %10.0f messages/s\n", empty_best);
  std::printf("StreamPushCandidates          %10.0f users/s  ratio %.2f\n",
              push_best, push_best / empty_best);
  if (!first_us.empty()) {
    std::printf(
        "time to first message         p50 %8.0f us  p99 %8.0f us  "
        "(%zu streams)\n",
        at(0.5), at(0.99), first_us.size());
  }
  return with_candidates > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

}  // namespace
}  // namespace portrait

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  portrait::DisableLockOrderChecking();
  return portrait::Run();
}
