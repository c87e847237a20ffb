// portrait_evaluate: offline evaluation through the real service.
//
// Imports a dataset (MovieLens u.data, or HetRec Last.fm user_artists.dat and
// user_friends.dat), splits each user's interactions 80/10/10 at random
// (seeded), feeds the training part through IngestService (interactions as
// LIKE for ratings or BROWSE for play counts, friendships as FRIEND), trains
// the model, then asks Recommend (FEED, k items) for every user and scores
// the answers against the held-out items: Recall, NDCG, Hit and Precision at
// k over all items, the user's training items excluded (Recommend never
// returns items the user engaged with). Blend weights are chosen on the
// validation part from a small grid; the test part is reported for the
// chosen weights, for the shipped weights, and for popularity alone.
//
//   bazel run //tools/eval:evaluate -- --format=lastfm \
//       --data=/path/user_artists.dat --friends=/path/user_friends.dat
#include <grpcpp/grpcpp.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "models/metrics.h"
#include "portrait/v1/ingest.grpc.pb.h"
#include "portrait/v1/ranking.pb.h"
#include "portrait/v1/recommend.grpc.pb.h"
#include "services/recommend/ranking_config.h"
#include "tools/bench/local_server.h"
#include "tools/eval/dataset.h"

ABSL_FLAG(std::string, format, "movielens", "movielens or lastfm");
ABSL_FLAG(std::string, data, "", "u.data or user_artists.dat");
ABSL_FLAG(std::string, friends, "", "user_friends.dat (lastfm, optional)");
ABSL_FLAG(int, seed, 1, "split seed");
ABSL_FLAG(int, k, 10, "cut-off of the metrics");
ABSL_FLAG(int, factors, 64, "model factors");
ABSL_FLAG(int, iterations, 8, "model iterations");
ABSL_FLAG(double, regularization, 0.1, "model regularization");
ABSL_FLAG(double, alpha, 10, "model confidence scale");
ABSL_FLAG(bool, grid, true, "choose blend weights on the validation part");
ABSL_FLAG(bool, model_grid, false,
          "first choose model factors and alpha on the validation part");

namespace portrait {
namespace {

using Relevant = std::map<std::string, absl::flat_hash_set<std::string>>;

std::string ItemId(const std::string& item) { return absl::StrCat("item", item); }
std::string UserId(const std::string& user) { return absl::StrCat("user", user); }

Relevant ByUser(const std::vector<DatasetInteraction>& part) {
  Relevant relevant;
  for (const auto& x : part) relevant[UserId(x.user)].insert(ItemId(x.item));
  return relevant;
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
  std::printf("ingested %zu items, %zu users, %zu training interactions, "
              "%zu friendships\n",
              items.size(), users.size(), train.size(), data.friendships.size());
  return true;
}

TopKMetrics Score(const std::string& address, const Relevant& relevant, int k) {
  auto recommend = v1::RecommendService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  MetricsMean mean;
  for (const auto& [user, items] : relevant) {
    v1::RecommendRequest request;
    request.set_user_id(user);
    request.set_surface(v1::FEED);
    request.set_limit(k);
    v1::RecommendResponse response;
    grpc::ClientContext context;
    if (!recommend->Recommend(&context, request, &response).ok()) continue;
    std::vector<std::string> ranked;
    for (const auto& item : response.items()) ranked.push_back(item.item().id());
    mean.Add(UserMetrics(ranked, items, k));
  }
  return mean.Mean();
}

// The shipped ranking configuration with some source weights replaced.
v1::RankingConfig WithWeights(const std::map<v1::ReasonSource, double>& weights) {
  v1::RankingConfig config = RankingConfig::Shipped().proto();
  for (v1::SourceWeight& w : *config.mutable_source_weights()) {
    auto it = weights.find(w.source());
    if (it != weights.end()) w.set_weight(it->second);
  }
  return config;
}

struct Run {
  std::string name;
  v1::RankingConfig config;
};

std::vector<Run> Candidates(bool grid) {
  std::vector<Run> runs;
  runs.push_back({"shipped", WithWeights({})});
  std::map<v1::ReasonSource, double> popular_only;
  for (int s = 1; s <= v1::ReasonSource_MAX; ++s) {
    popular_only[static_cast<v1::ReasonSource>(s)] = s == v1::POPULAR ? 1 : 0;
  }
  runs.push_back({"popularity", WithWeights(popular_only)});
  if (!grid) return runs;
  for (double embedding : {0.5, 1.0, 2.0}) {
    for (double co : {0.0, 0.5, 1.0}) {
      for (double friends : {0.0, 0.3}) {
        for (double popular : {0.05, 0.2}) {
          runs.push_back({absl::StrCat("emb=", embedding, " co=", co, " friends=",
                                       friends, " pop=", popular),
                          WithWeights({{v1::EMBEDDING, embedding},
                                       {v1::CO_ENGAGEMENT, co},
                                       {v1::FRIENDS_ENGAGED, friends},
                                       {v1::POPULAR, popular},
                                       {v1::FRESH, 0}})});
        }
      }
    }
  }
  return runs;
}

void Print(const char* part, const std::string& name, const TopKMetrics& m, int k) {
  std::printf("%-5s %-42s Recall@%d %.4f  NDCG@%d %.4f  Hit@%d %.4f  Precision@%d %.4f\n",
              part, name.c_str(), k, m.recall, k, m.ndcg, k, m.hit, k, m.precision);
}

// Writes `config` where the server's --ranking points and returns the path.
std::string WriteRanking(const std::string& dir, const v1::RankingConfig& config) {
  const std::string path = dir + "/ranking.textproto";
  std::FILE* f = std::fopen(path.c_str(), "w");
  std::fputs(config.DebugString().c_str(), f);
  std::fclose(f);
  return path;
}

// Trains a model version with `options.model` on the stored training part.
bool TrainWith(const PortraitServer::Options& options) {
  auto server = LocalServer::Start(options);
  if (!server.ok()) return false;
  auto lineage = (*server)->server().TrainModel();
  if (!lineage.ok()) return false;
  std::printf("model: %d factors, alpha %.1f, lambda %.3f: %lld users, %lld "
              "interactions, trained in %lld ms\n",
              options.model.factors, options.model.alpha,
              options.model.regularization,
              static_cast<long long>(lineage->users()),
              static_cast<long long>(lineage->interactions()),
              static_cast<long long>(lineage->training_ms()));
  return true;
}

// The metrics of the stored model and data under `config`.
absl::StatusOr<TopKMetrics> ScoreWith(PortraitServer::Options options,
                                      const std::string& dir,
                                      const v1::RankingConfig& config,
                                      const Relevant& relevant, int k) {
  options.ranking_path = WriteRanking(dir, config);
  auto server = LocalServer::Start(options);
  if (!server.ok()) return server.status();
  return Score((*server)->address(), relevant, k);
}

// With --model_grid, tries a few model hyper-parameters with the shipped
// blend and keeps the best on validation; trains the chosen one last.
bool ChooseModel(PortraitServer::Options* options, const std::string& dir,
                 const Relevant& valid, int k) {
  if (!absl::GetFlag(FLAGS_model_grid)) return TrainWith(*options);
  IalsOptions best = options->model;
  double best_ndcg = -1;
  for (int factors : {32, 64, 128}) {
    for (float alpha : {5.0f, 20.0f}) {
      options->model.factors = factors;
      options->model.alpha = alpha;
      if (!TrainWith(*options)) return false;
      auto v = ScoreWith(*options, dir, WithWeights({}), valid, k);
      if (!v.ok()) return false;
      Print("valid", absl::StrCat("model factors=", factors, " alpha=", alpha), *v, k);
      if (v->ndcg > best_ndcg) {
        best_ndcg = v->ndcg;
        best = options->model;
      }
    }
  }
  options->model = best;
  return TrainWith(*options);
}

int Main() {
  const std::string format = absl::GetFlag(FLAGS_format);
  absl::StatusOr<Dataset> data =
      format == "lastfm" ? LoadLastfm(absl::GetFlag(FLAGS_data), absl::GetFlag(FLAGS_friends))
                         : LoadMovieLens(absl::GetFlag(FLAGS_data));
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", data.status().ToString().c_str());
    return EXIT_FAILURE;
  }
  const Split split = SplitPerUser(data->interactions, absl::GetFlag(FLAGS_seed));
  const Relevant valid = ByUser(split.valid), test = ByUser(split.test);
  const int k = absl::GetFlag(FLAGS_k);
  char pattern[] = "/tmp/portrait_eval.XXXXXX";
  const std::string dir = mkdtemp(pattern);
  PortraitServer::Options options;
  options.data_dir = dir + "/db";
  options.auto_train = false;
  options.model.factors = absl::GetFlag(FLAGS_factors);
  options.model.iterations = absl::GetFlag(FLAGS_iterations);
  options.model.regularization = static_cast<float>(absl::GetFlag(FLAGS_regularization));
  options.model.alpha = static_cast<float>(absl::GetFlag(FLAGS_alpha));
  {
    auto server = LocalServer::Start(options);
    if (!server.ok() || !Ingest((*server)->address(), *data, split, format != "lastfm")) {
      std::fprintf(stderr, "could not load the training part\n");
      return EXIT_FAILURE;
    }
  }
  if (!ChooseModel(&options, dir, valid, k)) return EXIT_FAILURE;
  std::string best_name;
  TopKMetrics best_valid;
  v1::RankingConfig best_config;
  std::vector<std::pair<std::string, TopKMetrics>> fixed_tests;
  for (const Run& run : Candidates(absl::GetFlag(FLAGS_grid))) {
    auto v = ScoreWith(options, dir, run.config, valid, k);
    if (!v.ok()) {
      std::fprintf(stderr, "%s\n", v.status().ToString().c_str());
      return EXIT_FAILURE;
    }
    Print("valid", run.name, *v, k);
    if (run.name == "shipped" || run.name == "popularity") {
      fixed_tests.emplace_back(run.name, *ScoreWith(options, dir, run.config, test, k));
    }
    if (run.name != "popularity" && (best_name.empty() || v->ndcg > best_valid.ndcg)) {
      best_name = run.name;
      best_valid = *v;
      best_config = run.config;
    }
  }
  auto chosen = ScoreWith(options, dir, best_config, test, k);
  if (!chosen.ok()) return EXIT_FAILURE;
  std::printf("users with test items: %zu\n", test.size());
  for (const auto& [name, m] : fixed_tests) Print("test", name, m, k);
  Print("test", absl::StrCat(best_name, " (chosen on valid)"), *chosen, k);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return EXIT_SUCCESS;
}

}  // namespace
}  // namespace portrait

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  portrait::DisableLockOrderChecking();
  return portrait::Main();
}
