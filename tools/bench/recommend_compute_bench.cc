// recommend_compute_bench: the cost of Recommend without gRPC. Opens a data
// directory written by portraitd (e.g. by tools/loadgen), builds the
// portrait index and loads the persisted model as the server does, then
// times Recommender::Recommend (FEED, k = 20, random synthetic users) on one
// thread, with the trained model (first before, then after its users'
// EMBEDDING candidates are computed ahead, as portraitd's maintenance does)
// and without it. Compare with tools/loadgen's
// figures to see what the RPC path adds. With --train it first trains a new
// model version from the database, as portraitd's background training does
// (and persists it), and reports the training time and the process's peak
// resident memory.
//
//   bazel-bin/tools/bench/recommend_compute_bench --data_dir=/tmp/big/db
//   [--train]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "base/clock.h"
#include "config/ranking_config.h"
#include "services/consent/policy.h"
#include "services/consent/shipped_policy.h"
#include "services/locking/user_locks.h"
#include "services/model/model_trainer.h"
#include "services/portrait/portrait_index.h"
#include "services/recommend/recommender.h"
#include "services/storage/rocksdb_store.h"
#include "tools/bench/local_server.h"
#include "tools/synth/synthetic_world.h"

ABSL_FLAG(std::string, data_dir, "", "a portraitd data directory (not in use)");
ABSL_FLAG(int, users, 100000, "synthetic users to draw from");
ABSL_FLAG(int, requests, 20000, "timed requests per configuration");
ABSL_FLAG(int, training_threads, 2, "threads that train the model");
ABSL_FLAG(bool, train, false,
          "first train (and persist) a new model version and report its cost");

namespace portrait {
namespace {

// A field of /proc/self/status in MiB ("VmHWM": peak resident memory,
// "VmRSS": resident now), or -1.
double StatusMib(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  const std::string format = std::string(field) + ": %ld kB";
  while (std::getline(status, line)) {
    long kib = 0;
    if (std::sscanf(line.c_str(), format.c_str(), &kib) == 1)
      return kib / 1024.0;
  }
  return -1;
}

// Mean microseconds per Recommend over `requests` random users (drawn with
// `seed`).
double Time(const Recommender& recommender, int users, int requests,
            uint32_t seed) {
  std::mt19937 rng(seed);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < requests; ++i) {
    v1::RecommendRequest request;
    request.set_user_id(SyntheticWorld::UserId(rng() % users));
    request.set_surface(v1::FEED);
    request.set_limit(20);
    if (!recommender.Recommend(request).ok()) return -1;
  }
  return std::chrono::duration<double, std::micro>(
             std::chrono::steady_clock::now() - start)
             .count() /
         requests;
}

int Run() {
  auto store = RocksDbStore::Open({.path = absl::GetFlag(FLAGS_data_dir)});
  auto policy = ConsentPolicy::FromText(kShippedConsentPolicy);
  if (!store.ok() || !policy.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return EXIT_FAILURE;
  }
  const RankingConfig& config = RankingConfig::Shipped();
  UserLocks locks;
  PortraitIndex index(store->get(), RealClock::Get(), &*policy, &config);
  ModelTrainer trainer(store->get(), RealClock::Get(), &locks, &index, &config,
                       config.model_options(),
                       absl::GetFlag(FLAGS_training_threads));
  if (!index.Load().ok() || !trainer.Load().ok()) return EXIT_FAILURE;
  if (absl::GetFlag(FLAGS_train)) {
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<storage::ModelRecord> record = trainer.Train();
    if (!record.ok()) {
      std::fprintf(stderr, "training: %s\n",
                   record.status().ToString().c_str());
      return EXIT_FAILURE;
    }
    std::printf(
        "trained version %lld: %lld users, %lld interactions, %d factors, "
        "%d iterations: ALS %lld ms; with persisting %.0f ms\n",
        static_cast<long long>(record->version()),
        static_cast<long long>(record->users()),
        static_cast<long long>(record->interactions()), record->factors(),
        record->iterations(), static_cast<long long>(record->training_ms()),
        std::chrono::duration<double, std::milli>(
            std::chrono::steady_clock::now() - start)
            .count());
  }
  const int users = absl::GetFlag(FLAGS_users);
  const int requests = absl::GetFlag(FLAGS_requests);
  Recommender with_model(&index, &trainer, RealClock::Get());
  Recommender without_model(&index, nullptr, RealClock::Get());
  // Cold: no user's EMBEDDING candidates computed yet (users drawn at
  // random from many rarely repeat), so each call scores the catalog.
  std::printf("in-process Recommend FEED, with model, cold: %.0f us per call\n",
              Time(with_model, users, requests / 4, /*seed=*/2));
  {
    const double resident = StatusMib("VmRSS");
    const auto start = std::chrono::steady_clock::now();
    const int64_t warmed = trainer.Warm();
    std::printf(
        "EMBEDDING candidates of %lld users computed in %.0f ms "
        "(ModelTrainer::Warm, %d threads); resident memory %.0f -> %.0f MiB\n",
        static_cast<long long>(warmed),
        std::chrono::duration<double, std::milli>(
            std::chrono::steady_clock::now() - start)
            .count(),
        absl::GetFlag(FLAGS_training_threads), resident, StatusMib("VmRSS"));
  }
  for (const Recommender* recommender : {&with_model, &without_model}) {
    Time(*recommender, users, requests / 4, 1);  // Warm the caches.
    std::printf("in-process Recommend FEED, %s model: %.0f us per call\n",
                recommender == &with_model ? "with" : "without",
                Time(*recommender, users, requests, 1));
  }
  std::printf("peak resident memory: %.0f MiB\n", StatusMib("VmHWM"));
  return EXIT_SUCCESS;
}

}  // namespace
}  // namespace portrait

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  portrait::DisableLockOrderChecking();
  return portrait::Run();
}
