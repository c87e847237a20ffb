// circles_bench: what reading friends on another shard costs an answer
// (docs/SCALING.md, "Friends on other shards"). Two in-process shards, s0
// and s1, each holding half of a synthetic world's users (by user number's
// parity), every user with friends on both; and one server of every user.
// Times, one call at a time over loopback gRPC:
// - Recommend FEED of s0's users on the single server (the baseline);
// - the same calls on s0, which asks s1 for the friends it holds;
// - that GetCircles call on its own, and one asking for no one (the empty
//   RPC between the shards).
// Both clusters and the single server train the model first, so the FEED
// has every source. docs/SCALING.md has figures.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "portrait/v1/ingest.grpc.pb.h"
#include "portrait/v1/recommend.grpc.pb.h"
#include "portrait/v1/shard.grpc.pb.h"
#include "services/grpc/shard_guard.h"
#include "tools/bench/local_server.h"
#include "tools/bench/percentiles.h"

ABSL_FLAG(int, users, 4000, "synthetic users, half on each shard");
ABSL_FLAG(int, posts, 2000, "synthetic posts");
ABSL_FLAG(int, likes, 30, "LIKE events per user");
ABSL_FLAG(int, friends, 20, "friends per user, drawn from every user");
ABSL_FLAG(int, seconds, 5, "seconds per measurement");

namespace portrait {
namespace {

std::string UserId(int u) { return absl::StrCat("u", u); }
const char* ShardOf(int u) { return u % 2 == 0 ? "s0" : "s1"; }

struct Target {
  std::unique_ptr<LocalServer> server;
  std::shared_ptr<grpc::Channel> channel;
  std::string shard;  // Empty: the single server.
};

void Route(grpc::ClientContext* context, const Target& target,
           const std::string& user) {
  if (target.shard.empty()) return;
  context->AddMetadata(kRoutedShardHeader, target.shard);
  if (!user.empty()) context->AddMetadata(kRoutedUserHeader, user);
}

bool Load(const Target& target, const std::vector<int>& users) {
  auto ingest = v1::IngestService::NewStub(target.channel);
  const int64_t now = absl::ToUnixMillis(absl::Now());
  const int posts = absl::GetFlag(FLAGS_posts);
  for (int first = 0; first < posts; first += 1000) {  // The request limit.
    v1::UpsertItemsRequest catalog;
    for (int p = first; p < std::min(posts, first + 1000); ++p) {
      v1::Post* post = catalog.add_items()->mutable_post();
      post->set_post_id(absl::StrCat("p", p));
      post->set_created_at_ms(now - 86'400'000 + p);
    }
    v1::UpsertItemsResponse response;
    grpc::ClientContext context;
    Route(&context, target, "");
    if (const grpc::Status status =
            ingest->UpsertItems(&context, catalog, &response);
        !status.ok()) {
      std::fprintf(stderr, "UpsertItems: %s\n", status.error_message().c_str());
      return false;
    }
  }
  const int all = absl::GetFlag(FLAGS_users);
  for (int u : users) {
    // The same draws for a user whichever server loads them.
    std::mt19937_64 rng(u + 1);
    std::uniform_int_distribution<int> post(0, posts - 1), other(0, all - 1);
    v1::RecordEventsRequest request;
    for (int i = 0; i < absl::GetFlag(FLAGS_likes); ++i) {
      v1::Event* e = request.add_events();
      e->set_event_id(absl::StrCat(u, "-like-", i));
      e->set_user_id(UserId(u));
      e->set_signal(v1::LIKE);
      e->mutable_target()->set_kind(v1::ITEM_POST);
      // Popular posts more often: the smaller of two draws.
      e->mutable_target()->set_id(
          absl::StrCat("p", std::min(post(rng), post(rng))));
      e->set_occurred_at_ms(now - 3'600'000 + i * 1000);
    }
    for (int i = 0; i < absl::GetFlag(FLAGS_friends); ++i) {
      const int friend_number = other(rng);
      if (friend_number == u) continue;
      v1::Event* e = request.add_events();
      e->set_event_id(absl::StrCat(u, "-friend-", i));
      e->set_user_id(UserId(u));
      e->set_signal(v1::FRIEND);
      e->mutable_target()->set_kind(v1::ITEM_USER);
      e->mutable_target()->set_id(UserId(friend_number));
      e->set_occurred_at_ms(now - 7'200'000 + i);
    }
    v1::RecordEventsResponse response;
    grpc::ClientContext context;
    Route(&context, target, UserId(u));
    if (const grpc::Status status =
            ingest->RecordEvents(&context, request, &response);
        !status.ok()) {
      std::fprintf(stderr, "RecordEvents: %s\n",
                   status.error_message().c_str());
      return false;
    }
  }
  return true;
}

// Calls `call(i)` for i = 0, 1, ... for the duration, one at a time.
std::vector<double> Time(const std::function<bool(int)>& call) {
  std::vector<double> us;
  const absl::Time end =
      absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_seconds));
  for (int i = 0; absl::Now() < end; ++i) {
    const absl::Time start = absl::Now();
    if (!call(i)) {
      std::fprintf(stderr, "a call failed\n");
      std::exit(EXIT_FAILURE);
    }
    us.push_back(absl::ToDoubleMicroseconds(absl::Now() - start));
  }
  return us;
}

void Print(const char* what, const std::vector<double>& us) {
  const Percentiles p = Summarize(us);
  std::printf("%-44s %7.0f calls/s  p50 %6.0f us  p99 %6.0f us\n", what,
              us.size() / static_cast<double>(absl::GetFlag(FLAGS_seconds)),
              p.p50, p.p99);
}

int Run() {
  const int users = absl::GetFlag(FLAGS_users);
  PortraitServer::Options base;
  base.data_dir = "";  // Scratch directories.
  base.auto_train = false;
  Target s0, s1, one;
  // s1 first: s0 must know its port. s1 does not reach s0 (port 1); only s0
  // answers here.
  PortraitServer::Options options = base;
  options.shard_name = "s1";
  options.peers = {{"s0", "127.0.0.1:1"}};
  auto started = LocalServer::Start(options);
  if (!started.ok()) {
    std::fprintf(stderr, "%s\n", started.status().ToString().c_str());
    return EXIT_FAILURE;
  }
  s1 = {std::move(*started), nullptr, "s1"};
  options = base;
  options.shard_name = "s0";
  options.peers = {{"s1", s1.server->address()}};
  started = LocalServer::Start(options);
  if (!started.ok()) return EXIT_FAILURE;
  s0 = {std::move(*started), nullptr, "s0"};
  started = LocalServer::Start(base);
  if (!started.ok()) return EXIT_FAILURE;
  one = {std::move(*started), nullptr, ""};
  for (Target* t : {&s0, &s1, &one}) {
    t->channel = grpc::CreateChannel(t->server->address(),
                                     grpc::InsecureChannelCredentials());
  }
  std::vector<int> even, odd, every;
  for (int u = 0; u < users; ++u) {
    (u % 2 == 0 ? even : odd).push_back(u);
    every.push_back(u);
  }
  if (!Load(s0, even) || !Load(s1, odd) || !Load(one, every)) {
    std::fprintf(stderr, "loading the world failed\n");
    return EXIT_FAILURE;
  }
  absl::SleepFor(absl::Seconds(3));  // s0 fetches s1's counts each second.
  if (!s0.server->server().TrainModel().ok() ||
      !one.server->server().TrainModel().ok()) {
    std::fprintf(stderr, "training failed\n");
    return EXIT_FAILURE;
  }

  int friends_engaged = 0, answers = 0;
  const auto feed = [&](const Target& target) {
    auto stub = v1::RecommendService::NewStub(target.channel);
    return Time([&, stub = std::shared_ptr<v1::RecommendService::Stub>(
                        std::move(stub))](int i) {
      v1::RecommendRequest request;
      request.set_user_id(UserId(even[i % even.size()]));
      request.set_surface(v1::FEED);
      v1::RecommendResponse response;
      grpc::ClientContext context;
      Route(&context, target, request.user_id());
      if (!stub->Recommend(&context, request, &response).ok()) return false;
      if (!target.shard.empty()) {
        ++answers;
        for (const v1::RecommendedItem& item : response.items()) {
          bool cited = false;
          for (const v1::Reason& r : item.reasons())
            cited |= r.source() == v1::FRIENDS_ENGAGED;
          if (cited) {
            ++friends_engaged;
            break;
          }
        }
      }
      return true;
    });
  };
  auto shard = v1::ShardService::NewStub(s1.channel);
  int64_t circles_returned = 0;
  const auto circles = [&](bool empty) {
    return Time([&](int i) {
      v1::GetCirclesRequest request;
      request.set_shard("s0");
      request.set_viewer_user_id(UserId(even[i % even.size()]));
      request.set_now_ms(absl::ToUnixMillis(absl::Now()));
      request.add_parts(v1::CIRCLE_POST_SHARES);  // What a FEED reads.
      if (!empty) {
        // Every odd user a friend may be: as many as s0 would ask for.
        std::mt19937_64 rng(even[i % even.size()] + 1);
        for (int f = 0; f < absl::GetFlag(FLAGS_friends) / 2; ++f) {
          request.add_user_ids(UserId(odd[rng() % odd.size()]));
        }
      }
      v1::GetCirclesResponse response;
      grpc::ClientContext context;
      if (!shard->GetCircles(&context, request, &response).ok()) return false;
      circles_returned += response.circles_size();
      return true;
    });
  };

  std::printf(
      "circles_bench: %d users (half on each shard), %d posts, %d likes and "
      "%d friends a user, %u cores, %d s a measurement\n",
      users, absl::GetFlag(FLAGS_posts), absl::GetFlag(FLAGS_likes),
      absl::GetFlag(FLAGS_friends), std::thread::hardware_concurrency(),
      absl::GetFlag(FLAGS_seconds));
  Print("GetCircles of no one (empty RPC, baseline)", circles(true));
  const std::vector<double> asked = circles(false);
  Print("GetCircles of friends/2 users of s1", asked);
  const std::vector<double> alone = feed(one);
  Print("Recommend FEED, single server", alone);
  const std::vector<double> sharded = feed(s0);
  Print("Recommend FEED, shard s0 reading s1's circles", sharded);
  std::printf(
      "circles a GetCircles answered: %.1f; answers of s0 citing "
      "FRIENDS_ENGAGED: %d of %d\n",
      static_cast<double>(circles_returned) / asked.size(), friends_engaged,
      answers);
  std::printf("FEED p50 ratio, s0 to the single server: %.2f\n",
              Summarize(sharded).p50 / Summarize(alone).p50);
  if (circles_returned == 0 || friends_engaged == 0) {
    std::fprintf(stderr, "no circle was read from s1\n");
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}

}  // namespace
}  // namespace portrait

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  portrait::DisableLockOrderChecking();
  return portrait::Run();
}
