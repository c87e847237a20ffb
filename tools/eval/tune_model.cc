// tune_model: chooses the trained model's hyper-parameters on the validation
// part of a public dataset, fast, outside the service. It computes what the
// service's EMBEDDING source computes (the same split, the same training
// weights the shipped signal weights give, the same users, items and
// interaction order, the same exact fold-in and full-catalog TopItems,
// training and validation items masked): its figures equal evaluate's
// EMBEDDING-alone figures, which confirm a configuration through the
// service. Prints one line per configuration and seed, then the mean.
//
//   bazel run -c opt //tools/eval:tune_model -- --format=lastfm
//       --data=$PWD/data/lastfm/user_artists.dat --factors=64,128
//       --regularization=10,30 --alpha=1,3 --confidence=log
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "models/ials.h"
#include "tools/eval/dataset.h"
#include "tools/eval/split_scoring.h"

ABSL_FLAG(std::string, format, "movielens", "movielens or lastfm");
ABSL_FLAG(std::string, data, "", "u.data or user_artists.dat");
ABSL_FLAG(std::string, seeds, "1", "split seeds, comma-separated");
ABSL_FLAG(std::string, factors, "64", "comma-separated grid");
ABSL_FLAG(std::string, iterations, "15", "comma-separated grid");
ABSL_FLAG(std::string, regularization, "10", "comma-separated grid");
ABSL_FLAG(std::string, regularization_exponent, "0", "comma-separated grid");
ABSL_FLAG(std::string, alpha, "1", "comma-separated grid");
ABSL_FLAG(std::string, confidence, "log",
          "comma-separated grid of linear, log");
ABSL_FLAG(std::string, cg_steps, "0", "comma-separated grid");
ABSL_FLAG(bool, test, false, "also score the test part");
ABSL_FLAG(int, k, 10, "cut-off of the metrics");

namespace portrait {
namespace {

std::vector<double> Grid(const std::string& text) {
  std::vector<double> values;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    double v = 0;
    if (!absl::SimpleAtod(part, &v)) {
      std::fprintf(stderr, "not a number: %s\n", std::string(part).c_str());
      std::exit(EXIT_FAILURE);
    }
    values.push_back(v);
  }
  return values;
}

std::vector<IalsConfidence> Confidences(const std::string& text) {
  std::vector<IalsConfidence> values;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    if (part == "log") {
      values.push_back(IalsConfidence::kLog);
    } else if (part == "linear") {
      values.push_back(IalsConfidence::kLinear);
    } else {
      std::fprintf(stderr, "--confidence: linear or log, not %s\n",
                   std::string(part).c_str());
      std::exit(EXIT_FAILURE);
    }
  }
  return values;
}

// Splits [0, n) in two halves, one on a second thread.
void TwoThreads(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  std::thread other([&] { fn(0, n / 2); });
  fn(n / 2, n);
  other.join();
}

std::vector<IalsOptions> Configurations() {
  std::vector<IalsOptions> all;
  for (double factors : Grid(absl::GetFlag(FLAGS_factors)))
    for (double iterations : Grid(absl::GetFlag(FLAGS_iterations)))
      for (double lambda : Grid(absl::GetFlag(FLAGS_regularization)))
        for (double exponent :
             Grid(absl::GetFlag(FLAGS_regularization_exponent)))
          for (double alpha : Grid(absl::GetFlag(FLAGS_alpha)))
            for (IalsConfidence confidence :
                 Confidences(absl::GetFlag(FLAGS_confidence)))
              for (double cg : Grid(absl::GetFlag(FLAGS_cg_steps))) {
                IalsOptions o;
                o.factors = static_cast<int>(factors);
                o.iterations = static_cast<int>(iterations);
                o.regularization = static_cast<float>(lambda);
                o.regularization_exponent = static_cast<float>(exponent);
                o.alpha = static_cast<float>(alpha);
                o.confidence = confidence;
                o.cg_steps = static_cast<int>(cg);
                all.push_back(o);
              }
  return all;
}

std::string Describe(const IalsOptions& o) {
  return absl::StrCat("factors=", o.factors, " it=", o.iterations,
                      " lambda=", o.regularization,
                      " nu=", o.regularization_exponent, " alpha=", o.alpha,
                      o.confidence == IalsConfidence::kLog ? " log" : " linear",
                      " cg=", o.cg_steps);
}

int Main() {
  const std::string format = absl::GetFlag(FLAGS_format);
  absl::StatusOr<Dataset> data = format == "lastfm"
                                     ? LoadLastfm(absl::GetFlag(FLAGS_data), "")
                                     : LoadMovieLens(absl::GetFlag(FLAGS_data));
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", data.status().ToString().c_str());
    return EXIT_FAILURE;
  }
  const int k = absl::GetFlag(FLAGS_k);
  std::vector<SplitMatrices> splits;
  for (double seed : Grid(absl::GetFlag(FLAGS_seeds))) {
    splits.push_back(
        SplitMatrices::Build(*data, format, static_cast<uint32_t>(seed)));
  }
  for (const IalsOptions& options : Configurations()) {
    double valid_ndcg = 0, valid_recall = 0, test_ndcg = 0, test_recall = 0;
    for (const SplitMatrices& split : splits) {
      const auto start = std::chrono::steady_clock::now();
      const IalsModel model = IalsModel::Train(
          split.users, split.items, split.train, options, TwoThreads);
      const double seconds = std::chrono::duration<double>(
                                 std::chrono::steady_clock::now() - start)
                                 .count();
      const TopKMetrics valid = split.ScoreValid(model, k, TwoThreads);
      valid_ndcg += valid.ndcg;
      valid_recall += valid.recall;
      std::printf("%s seed=%u train=%.1fs valid R@%d %.4f N@%d %.4f",
                  Describe(options).c_str(), split.seed, seconds, k,
                  valid.recall, k, valid.ndcg);
      if (absl::GetFlag(FLAGS_test)) {
        const TopKMetrics test = split.ScoreTest(model, k, TwoThreads);
        test_ndcg += test.ndcg;
        test_recall += test.recall;
        std::printf(" test R@%d %.4f N@%d %.4f", k, test.recall, k, test.ndcg);
      }
      std::printf("\n");
      std::fflush(stdout);
    }
    const double n = splits.size();
    std::printf("MEAN %s valid R %.4f N %.4f", Describe(options).c_str(),
                valid_recall / n, valid_ndcg / n);
    if (absl::GetFlag(FLAGS_test)) {
      std::printf(" test R %.4f N %.4f", test_recall / n, test_ndcg / n);
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  return EXIT_SUCCESS;
}

}  // namespace
}  // namespace portrait

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return portrait::Main();
}
