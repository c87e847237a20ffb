// top_items_bench: the cost of the EMBEDDING source's exact full-catalog
// top-k (IalsModel::TopItems: 8-bit bounds for every row, float scores for
// the few rows that can reach the top) against its baseline in the same
// run, scoring every row in float and selecting the top k (what TopItems
// must equal, and checks here that it does). Catalogs of several sizes; the
// factors are trained by ALS on a synthetic community world so that scores
// are spread as a trained model's are (random factors would flatter or
// wrong the bounds).
//
//   bazel run -c opt //tools/bench:top_items_bench --
//   --items=10000,22000,100000
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "models/ials.h"

ABSL_FLAG(std::string, items, "10000,22000,50000,100000", "catalog sizes");
ABSL_FLAG(int, factors, 64, "factors");
ABSL_FLAG(int, users, 2000, "users in the synthetic training world");
ABSL_FLAG(int, k, 60, "rows kept (candidates_per_source)");
ABSL_FLAG(int, queries, 500, "timed queries per catalog size");

namespace portrait {
namespace {

// A trained model over `items` items: users in 50 communities engage with
// 30 items each, mostly their community's, with a popularity skew.
IalsModel TrainedModel(
    int items, int users, int factors, std::mt19937* rng,
    std::vector<std::vector<std::pair<int32_t, float>>>* history) {
  constexpr int kCommunities = 50;
  std::vector<Interaction> data;
  history->assign(users, {});
  for (int u = 0; u < users; ++u) {
    const int community = u % kCommunities;
    std::vector<int32_t> seen;
    for (int e = 0; e < 30; ++e) {
      const bool own = (*rng)() % 10 < 7;
      // Power-law rank within the pool.
      const double r =
          std::pow(static_cast<double>((*rng)() % 1000000) / 1e6, 3.0);
      int32_t item;
      if (own) {
        const int per = items / kCommunities;
        item = community * per + static_cast<int32_t>(r * per);
      } else {
        item = static_cast<int32_t>(r * items);
      }
      seen.push_back(std::min(item, items - 1));
    }
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    for (int32_t item : seen) {
      data.push_back({u, item, 1.0f});
      (*history)[u].emplace_back(item, 1.0f);
    }
  }
  IalsOptions options;
  options.factors = factors;
  options.iterations = 8;
  options.regularization = 0.3f;
  options.regularization_exponent = 1;
  options.alpha = 1;
  options.confidence = IalsConfidence::kLog;
  options.cg_steps = 3;
  return IalsModel::Train(users, items, data, options);
}

// The baseline: every row in float, then the best k (same order as
// TopItems: score descending, ties by row).
std::vector<std::pair<int32_t, float>> ScoreEveryRow(
    const IalsModel& model, const Eigen::VectorXf& user, size_t k,
    const std::vector<int32_t>& excluded) {
  // Score(), the dot product TopItems computes its float scores with (a
  // matrix-vector product sums in another order, so its last bits differ).
  const int32_t rows = static_cast<int32_t>(model.item_factors().rows());
  std::vector<std::pair<int32_t, float>> all;
  all.reserve(rows);
  for (int32_t r = 0; r < rows; ++r) all.emplace_back(r, model.Score(user, r));
  for (int32_t r : excluded)
    all[r].second = -std::numeric_limits<float>::infinity();
  const auto better = [](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return a.first < b.first;
  };
  std::partial_sort(all.begin(), all.begin() + k, all.end(), better);
  all.resize(k);
  return all;
}

int Run() {
  const int factors = absl::GetFlag(FLAGS_factors);
  const size_t k = absl::GetFlag(FLAGS_k);
  const int queries = absl::GetFlag(FLAGS_queries);
  std::printf("factors %d, k %zu, %d queries per size\n", factors, k, queries);
  for (absl::string_view part :
       absl::StrSplit(absl::GetFlag(FLAGS_items), ',')) {
    int items = 0;
    if (!absl::SimpleAtoi(part, &items) || items < 100) {
      std::fprintf(stderr, "--items: %s is not a size >= 100\n",
                   std::string(part).c_str());
      return EXIT_FAILURE;
    }
    std::mt19937 rng(items);
    std::vector<std::vector<std::pair<int32_t, float>>> history;
    const IalsModel model = TrainedModel(items, absl::GetFlag(FLAGS_users),
                                         factors, &rng, &history);
    std::vector<Eigen::VectorXf> users;
    std::vector<std::vector<int32_t>> excluded;
    for (int q = 0; q < queries; ++q) {
      const auto& seen = history[q % history.size()];
      users.push_back(model.FoldIn(seen));
      excluded.emplace_back();
      for (const auto& [item, weight] : seen) excluded.back().push_back(item);
    }
    // Both once untimed, checking they agree.
    size_t rescored_total = 0;
    for (int q = 0; q < queries; ++q) {
      size_t rescored = 0;
      const auto top =
          model.TopItems(users[q], 0, items, k, excluded[q], &rescored);
      rescored_total += rescored;
      if (top != ScoreEveryRow(model, users[q], k, excluded[q])) {
        const auto expected = ScoreEveryRow(model, users[q], k, excluded[q]);
        for (size_t i = 0; i < std::max(top.size(), expected.size()); ++i) {
          if (i >= top.size() || i >= expected.size() ||
              top[i] != expected[i]) {
            std::fprintf(stderr,
                         "rank %zu: TopItems %d %.9g, every row %d %.9g\n", i,
                         i < top.size() ? top[i].first : -1,
                         i < top.size() ? top[i].second : 0.0f,
                         i < expected.size() ? expected[i].first : -1,
                         i < expected.size() ? expected[i].second : 0.0f);
            break;
          }
        }
        std::fprintf(stderr,
                     "TopItems differs from scoring every row (query %d)\n", q);
        return EXIT_FAILURE;
      }
    }
    auto time = [&](auto&& run) {
      const auto start = std::chrono::steady_clock::now();
      size_t sink = 0;
      for (int q = 0; q < queries; ++q) sink += run(q).size();
      const double us = std::chrono::duration<double, std::micro>(
                            std::chrono::steady_clock::now() - start)
                            .count() /
                        queries;
      return sink > 0 ? us : -1.0;
    };
    const double every = time(
        [&](int q) { return ScoreEveryRow(model, users[q], k, excluded[q]); });
    const double top = time([&](int q) {
      return model.TopItems(users[q], 0, items, k, excluded[q]);
    });
    std::printf(
        "%7d items: every row in float %7.1f us, TopItems %7.1f us, ratio %.2f "
        "(same top %zu in all %d queries; %.0f rows scored in float per "
        "query)\n",
        items, every, top, top / every, k, queries,
        static_cast<double>(rescored_total) / queries);
    std::fflush(stdout);
  }
  return EXIT_SUCCESS;
}

}  // namespace
}  // namespace portrait

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return portrait::Run();
}
