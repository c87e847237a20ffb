// portrait_evaluate: offline evaluation through the real service, by the
// standard protocol.
//
// Imports a dataset (MovieLens u.data, or HetRec Last.fm user_artists.dat and
// user_friends.dat) and, for each split seed, splits each user's
// interactions 80/10/10 at random, feeds the training part through
// IngestService (interactions as LIKE for ratings or BROWSE for play counts,
// friendships as FRIEND), trains the model the ranking configuration
// describes, then asks Recommend (FEED) for every user and scores the first
// k items against the held-out ones: Recall, NDCG, Hit and Precision at k,
// full ranking over all items. The service never returns a user's training
// items; for the test part the user's validation items are dropped from the
// answer as well (the tool pages on until it has k others).
//
// Reported for the configuration (shipped or --ranking), EMBEDDING alone and
// popularity alone, per seed and as mean [min, max] over seeds; with
// --fit_blend also the source weights fitted on the validation part by
// coordinate ascent on NDCG@k, and their test figures.
//
//   bazel run -c opt //tools/eval:evaluate -- --format=lastfm \
//       --data=$PWD/data/lastfm/user_artists.dat \
//       --friends=$PWD/data/lastfm/user_friends.dat
#include <grpcpp/grpcpp.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "config/ranking_config.h"
#include "models/metrics.h"
#include "portrait/v1/ingest.grpc.pb.h"
#include "portrait/v1/ranking.pb.h"
#include "portrait/v1/recommend.grpc.pb.h"
#include "tools/bench/local_server.h"
#include "tools/eval/dataset.h"

ABSL_FLAG(std::string, format, "movielens", "movielens or lastfm");
ABSL_FLAG(std::string, data, "", "u.data or user_artists.dat");
ABSL_FLAG(std::string, friends, "", "user_friends.dat (lastfm, optional)");
ABSL_FLAG(std::string, seeds, "1,2,3", "split seeds, comma-separated");
ABSL_FLAG(int, k, 10, "cut-off of the metrics");
ABSL_FLAG(std::string, ranking, "",
          "ranking configuration to evaluate (portrait.v1.RankingConfig text "
          "format); empty evaluates the shipped one");
ABSL_FLAG(bool, fit_blend, false,
          "also fit the source weights on the validation part (coordinate "
          "ascent on NDCG@k) and report them on the test part");
ABSL_FLAG(int, training_threads, 2, "threads that train the model");

namespace portrait {
namespace {

std::string ItemId(const std::string& item) {
  return absl::StrCat("item", item);
}
std::string UserId(const std::string& user) {
  return absl::StrCat("user", user);
}

bool Ingest(const std::string& address, const Dataset& data, const Split& split,
            bool ratings) {
  auto ingest = v1::IngestService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  const int64_t now = absl::ToUnixMillis(absl::Now());
  std::set<std::string> items, users;
  for (const auto& x : data.interactions) {
    items.insert(x.item);
    users.insert(x.user);
  }
  v1::UpsertItemsRequest catalog;
  auto flush_catalog = [&] {
    v1::UpsertItemsResponse response;
    grpc::ClientContext context;
    bool ok = catalog.items_size() == 0 ||
              ingest->UpsertItems(&context, catalog, &response).ok();
    catalog.clear_items();
    return ok;
  };
  for (const std::string& item : items) {
    v1::Post* post = catalog.add_items()->mutable_post();
    post->set_post_id(ItemId(item));
    post->set_created_at_ms(now - 86'400'000);
    if (catalog.items_size() == 1000 && !flush_catalog()) return false;
  }
  for (const std::string& user : users) {
    catalog.add_items()->mutable_person()->set_user_id(UserId(user));
    if (catalog.items_size() == 1000 && !flush_catalog()) return false;
  }
  if (!flush_catalog()) return false;
  // Events keep the dataset's order within the last hour.
  std::vector<v1::Event> events;
  int64_t n = 0;
  std::vector<const DatasetInteraction*> train;
  for (const auto& x : split.train) train.push_back(&x);
  std::stable_sort(train.begin(), train.end(),
                   [](auto* a, auto* b) { return a->order < b->order; });
  for (const DatasetInteraction* x : train) {
    v1::Event e;
    e.set_event_id(absl::StrCat("x", n));
    e.set_user_id(UserId(x->user));
    e.set_signal(ratings ? v1::LIKE : v1::BROWSE);
    e.mutable_target()->set_kind(v1::ITEM_POST);
    e.mutable_target()->set_id(ItemId(x->item));
    e.set_weight(ratings ? x->weight : std::log1p(x->weight));
    e.set_occurred_at_ms(now - 3'600'000 + n * 3'000'000 / (train.size() + 1));
    events.push_back(std::move(e));
    ++n;
  }
  for (const auto& [user, friend_id] : data.friendships) {
    if (user == friend_id) continue;
    v1::Event e;
    e.set_event_id(absl::StrCat("f", n++));
    e.set_user_id(UserId(user));
    e.set_signal(v1::FRIEND);
    e.mutable_target()->set_kind(v1::ITEM_USER);
    e.mutable_target()->set_id(UserId(friend_id));
    e.set_occurred_at_ms(now - 1000);
    events.push_back(std::move(e));
  }
  for (size_t start = 0; start < events.size(); start += 1000) {
    v1::RecordEventsRequest request;
    for (size_t i = start; i < std::min(events.size(), start + 1000); ++i) {
      *request.add_events() = events[i];
    }
    v1::RecordEventsResponse response;
    grpc::ClientContext context;
    grpc::Status status = ingest->RecordEvents(&context, request, &response);
    if (!status.ok() || response.rejected() > 0) {
      std::fprintf(stderr, "ingest: %s (%d rejected)\n",
                   status.error_message().c_str(), response.rejected());
      return false;
    }
  }
  std::printf(
      "ingested %zu items, %zu users, %zu training interactions, "
      "%zu friendships\n",
      items.size(), users.size(), train.size(), data.friendships.size());
  return true;
}

// One user's held-out items and the items to drop from the answer first.
struct Target {
  absl::flat_hash_set<std::string> relevant;
  absl::flat_hash_set<std::string> masked;
};
using Targets = std::map<std::string, Target>;

// Users' validation items (nothing masked) or test items (validation items
// masked).
Targets MakeTargets(const Split& split, bool test) {
  Targets targets;
  for (const auto& x : test ? split.test : split.valid) {
    targets[UserId(x.user)].relevant.insert(ItemId(x.item));
  }
  if (test) {
    for (const auto& x : split.valid) {
      auto it = targets.find(UserId(x.user));
      if (it != targets.end()) it->second.masked.insert(ItemId(x.item));
    }
  }
  return targets;
}

// The user's first k recommended items other than `masked`, paging as far
// as needed. Empty if the call fails.
std::vector<std::string> TopK(v1::RecommendService::Stub* recommend,
                              const std::string& user, const Target& target,
                              int k) {
  std::vector<std::string> ranked;
  v1::RecommendRequest request;
  request.set_user_id(user);
  request.set_surface(v1::FEED);
  request.set_limit(
      static_cast<int>(std::min<size_t>(100, k + target.masked.size())));
  while (static_cast<int>(ranked.size()) < k) {
    v1::RecommendResponse response;
    grpc::ClientContext context;
    if (!recommend->Recommend(&context, request, &response).ok()) return {};
    for (const auto& item : response.items()) {
      if (!target.masked.contains(item.item().id()) &&
          static_cast<int>(ranked.size()) < k) {
        ranked.push_back(item.item().id());
      }
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  return ranked;
}

TopKMetrics Score(const std::string& address, const Targets& targets, int k) {
  auto recommend = v1::RecommendService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  MetricsMean mean;
  for (const auto& [user, target] : targets) {
    mean.Add(UserMetrics(TopK(recommend.get(), user, target, k),
                         target.relevant, k));
  }
  return mean.Mean();
}

using Weights = std::map<v1::ReasonSource, double>;

// `base` with some source weights replaced (added if absent).
v1::RankingConfig WithWeights(const v1::RankingConfig& base,
                              const Weights& weights) {
  v1::RankingConfig config = base;
  Weights missing = weights;
  for (v1::SourceWeight& w : *config.mutable_source_weights()) {
    auto it = missing.find(w.source());
    if (it == missing.end()) continue;
    w.set_weight(it->second);
    missing.erase(it);
  }
  for (const auto& [source, weight] : missing) {
    v1::SourceWeight* w = config.add_source_weights();
    w->set_source(source);
    w->set_weight(weight);
  }
  return config;
}

// `base` with every source weight 0 but `source`'s 1. POPULAR keeps 1e-9
// when it is not `source` (a configuration needs it for non-personalised
// answers): it orders only what `source` leaves unranked.
v1::RankingConfig Alone(const v1::RankingConfig& base,
                        v1::ReasonSource source) {
  Weights weights;
  for (int s = 1; s <= v1::ReasonSource_MAX; ++s) {
    if (v1::ReasonSource_IsValid(s)) {
      weights[static_cast<v1::ReasonSource>(s)] = s == source ? 1 : 0;
    }
  }
  if (source != v1::POPULAR) weights[v1::POPULAR] = 1e-9;
  return WithWeights(base, weights);
}

// Writes `config` where the server's --ranking points and returns the path.
absl::StatusOr<std::string> WriteRanking(const std::string& dir,
                                         const v1::RankingConfig& config) {
  const std::string path = dir + "/ranking.textproto";
  std::ofstream out(path, std::ios::trunc);
  out << config.DebugString();
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return path;
}

// One seed's database, trained model and targets.
class SeedRun {
 public:
  static absl::StatusOr<std::unique_ptr<SeedRun>> Load(
      const Dataset& data, bool ratings, uint32_t seed,
      const v1::RankingConfig& config) {
    auto run = std::unique_ptr<SeedRun>(new SeedRun());
    char pattern[] = "/tmp/portrait_eval.XXXXXX";
    if (mkdtemp(pattern) == nullptr)
      return absl::InternalError("mkdtemp failed");
    run->dir_ = pattern;
    run->options_.data_dir = run->dir_ + "/db";
    run->options_.auto_train = false;
    run->options_.training_threads = absl::GetFlag(FLAGS_training_threads);
    PORTRAIT_ASSIGN_OR_RETURN(run->options_.ranking_path,
                              WriteRanking(run->dir_, config));
    const Split split = SplitPerUser(data.interactions, seed);
    run->valid_ = MakeTargets(split, /*test=*/false);
    run->test_ = MakeTargets(split, /*test=*/true);
    PORTRAIT_ASSIGN_OR_RETURN(auto server, LocalServer::Start(run->options_));
    if (!Ingest(server->address(), data, split, ratings)) {
      return absl::InternalError("could not load the training part");
    }
    PORTRAIT_ASSIGN_OR_RETURN(storage::ModelRecord lineage,
                              server->server().TrainModel());
    std::printf(
        "seed %u: model of %lld users, %lld interactions, trained in %lld ms\n",
        seed, static_cast<long long>(lineage.users()),
        static_cast<long long>(lineage.interactions()),
        static_cast<long long>(lineage.training_ms()));
    return run;
  }

  ~SeedRun() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Validation or test metrics under `config` (whose model section must be
  // the one trained).
  absl::StatusOr<TopKMetrics> Score(const v1::RankingConfig& config, bool test,
                                    int k) {
    PORTRAIT_ASSIGN_OR_RETURN(options_.ranking_path,
                              WriteRanking(dir_, config));
    PORTRAIT_ASSIGN_OR_RETURN(auto server, LocalServer::Start(options_));
    return portrait::Score(server->address(), test ? test_ : valid_, k);
  }

 private:
  SeedRun() = default;

  std::string dir_;
  PortraitServer::Options options_;
  Targets valid_, test_;
};

// Sources whose weights --fit_blend fits (EMBEDDING stays 1: the blend is
// invariant to scaling every weight), and the values it tries.
constexpr v1::ReasonSource kFitted[] = {v1::CO_ENGAGEMENT, v1::FRIENDS_ENGAGED,
                                        v1::POPULAR, v1::FRESH};
constexpr double kFitValues[] = {0, 0.001, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1};

// Coordinate ascent on the mean validation NDCG@k over the seeds, from
// `start` with EMBEDDING at 1; two rounds.
absl::StatusOr<v1::RankingConfig> FitBlend(
    std::vector<std::unique_ptr<SeedRun>>& runs, v1::RankingConfig start,
    int k) {
  auto valid_ndcg =
      [&](const v1::RankingConfig& config) -> absl::StatusOr<double> {
    double sum = 0;
    for (auto& run : runs) {
      PORTRAIT_ASSIGN_OR_RETURN(TopKMetrics m, run->Score(config, false, k));
      sum += m.ndcg;
    }
    return sum / runs.size();
  };
  v1::RankingConfig best = WithWeights(start, {{v1::EMBEDDING, 1}});
  PORTRAIT_ASSIGN_OR_RETURN(double best_ndcg, valid_ndcg(best));
  for (int round = 0; round < 2; ++round) {
    for (v1::ReasonSource source : kFitted) {
      for (double value : kFitValues) {
        const v1::RankingConfig trial = WithWeights(best, {{source, value}});
        // E.g. POPULAR at 0: not a configuration the server takes.
        if (!RankingConfig::FromText(trial.DebugString()).ok()) continue;
        PORTRAIT_ASSIGN_OR_RETURN(double ndcg, valid_ndcg(trial));
        std::printf("fit round %d: %s %.2f -> valid NDCG@%d %.4f\n", round + 1,
                    v1::ReasonSource_Name(source).c_str(), value, k, ndcg);
        if (ndcg > best_ndcg) {
          best_ndcg = ndcg;
          best = trial;
        }
      }
    }
  }
  return best;
}

struct Summary {
  std::vector<TopKMetrics> valid, test;
};

void PrintSummary(const std::string& name, const Summary& s, int k) {
  auto stats = [](const std::vector<TopKMetrics>& all,
                  double TopKMetrics::*field) {
    double sum = 0, lo = 1, hi = 0;
    for (const TopKMetrics& m : all) {
      sum += m.*field;
      lo = std::min(lo, m.*field);
      hi = std::max(hi, m.*field);
    }
    return absl::StrFormat("%.4f [%.4f, %.4f]", sum / all.size(), lo, hi);
  };
  std::printf("| %s | %s | %s | %s | %s |\n", name.c_str(),
              stats(s.test, &TopKMetrics::recall).c_str(),
              stats(s.test, &TopKMetrics::ndcg).c_str(),
              stats(s.valid, &TopKMetrics::recall).c_str(),
              stats(s.valid, &TopKMetrics::ndcg).c_str());
}

std::string WeightsText(const v1::RankingConfig& config) {
  std::string text;
  for (const v1::SourceWeight& w : config.source_weights()) {
    if (w.weight() > 0) {
      absl::StrAppend(&text, v1::ReasonSource_Name(w.source()), "=", w.weight(),
                      " ");
    }
  }
  return text;
}

absl::Status Evaluate() {
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format != "lastfm" && format != "movielens") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--format is \"", format, "\"; must be movielens or lastfm"));
  }
  PORTRAIT_ASSIGN_OR_RETURN(
      Dataset data,
      format == "lastfm"
          ? LoadLastfm(absl::GetFlag(FLAGS_data), absl::GetFlag(FLAGS_friends))
          : LoadMovieLens(absl::GetFlag(FLAGS_data)));
  const std::string ranking_path = absl::GetFlag(FLAGS_ranking);
  v1::RankingConfig config = RankingConfig::Shipped().proto();
  if (!ranking_path.empty()) {
    PORTRAIT_ASSIGN_OR_RETURN(RankingConfig loaded,
                              RankingConfig::Load(ranking_path));
    config = loaded.proto();
  }
  std::vector<uint32_t> seeds;
  for (absl::string_view part :
       absl::StrSplit(absl::GetFlag(FLAGS_seeds), ',', absl::SkipEmpty())) {
    uint32_t seed = 0;
    if (!absl::SimpleAtoi(part, &seed)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--seeds: not a number: ", part));
    }
    seeds.push_back(seed);
  }
  if (seeds.empty()) return absl::InvalidArgumentError("--seeds: none given");
  const int k = absl::GetFlag(FLAGS_k);
  if (k < 1 || k > 100)
    return absl::InvalidArgumentError("--k must be 1 to 100");

  std::vector<std::unique_ptr<SeedRun>> runs;
  for (uint32_t seed : seeds) {
    PORTRAIT_ASSIGN_OR_RETURN(
        auto run, SeedRun::Load(data, format != "lastfm", seed, config));
    runs.push_back(std::move(run));
  }
  std::vector<std::pair<std::string, v1::RankingConfig>> configs = {
      {ranking_path.empty() ? "shipped" : "--ranking", config},
      {"EMBEDDING alone", Alone(config, v1::EMBEDDING)},
      {"POPULAR alone", Alone(config, v1::POPULAR)},
  };
  if (absl::GetFlag(FLAGS_fit_blend)) {
    PORTRAIT_ASSIGN_OR_RETURN(v1::RankingConfig fitted,
                              FitBlend(runs, config, k));
    std::printf("fitted weights: %s\n", WeightsText(fitted).c_str());
    configs.emplace_back("fitted on validation", fitted);
  }
  std::vector<Summary> summaries(configs.size());
  for (size_t c = 0; c < configs.size(); ++c) {
    for (size_t r = 0; r < runs.size(); ++r) {
      PORTRAIT_ASSIGN_OR_RETURN(TopKMetrics valid,
                                runs[r]->Score(configs[c].second, false, k));
      PORTRAIT_ASSIGN_OR_RETURN(TopKMetrics test,
                                runs[r]->Score(configs[c].second, true, k));
      summaries[c].valid.push_back(valid);
      summaries[c].test.push_back(test);
      std::printf(
          "seed %u %-22s valid R@%d %.4f N@%d %.4f | test R@%d %.4f N@%d %.4f "
          "Hit@%d %.4f P@%d %.4f\n",
          seeds[r], configs[c].first.c_str(), k, valid.recall, k, valid.ndcg, k,
          test.recall, k, test.ndcg, k, test.hit, k, test.precision);
      std::fflush(stdout);
    }
  }
  std::printf("\n%s, seeds %s: mean [min, max]\n", format.c_str(),
              absl::GetFlag(FLAGS_seeds).c_str());
  std::printf(
      "| configuration | test Recall@%d | test NDCG@%d | valid Recall@%d | "
      "valid NDCG@%d |\n|---|---|---|---|---|\n",
      k, k, k, k);
  for (size_t c = 0; c < configs.size(); ++c) {
    PrintSummary(configs[c].first, summaries[c], k);
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace portrait

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  portrait::DisableLockOrderChecking();
  const absl::Status status = portrait::Evaluate();
  if (!status.ok()) {
    std::fprintf(stderr, "evaluate: %s\n", status.ToString().c_str());
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
