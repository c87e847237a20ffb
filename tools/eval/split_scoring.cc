#include "tools/eval/split_scoring.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>

#include "absl/container/flat_hash_set.h"
#include "models/affinity.h"
#include "config/ranking_config.h"

namespace portrait {

SplitMatrices SplitMatrices::Build(const Dataset& data, const std::string& format,
                                   uint32_t seed) {
  const bool ratings = format != "lastfm";
  const double signal_weight =
      RankingConfig::Shipped().signal_weight(ratings ? v1::LIKE : v1::BROWSE);
  const Split split = SplitPerUser(data.interactions, seed);
  std::map<std::string, int32_t> users, items;
  for (const auto& x : data.interactions) {
    users.emplace(x.user, 0);
    items.emplace(x.item, 0);
  }
  int32_t n = 0;
  for (auto& [id, index] : users) index = n++;
  n = 0;
  for (auto& [id, index] : items) index = n++;
  SplitMatrices m;
  m.seed = seed;
  m.users = static_cast<int>(users.size());
  m.items = static_cast<int>(items.size());
  m.train_of.resize(m.users);
  m.valid_of.resize(m.users);
  m.test_of.resize(m.users);
  for (const auto& x : split.train) {
    const double event_weight = ratings ? x.weight : std::log1p(x.weight);
    const float weight = static_cast<float>(
        signal_weight * (WeightMilli(event_weight) / 1000.0));
    const int32_t u = users[x.user], i = items[x.item];
    m.train.push_back({u, i, weight});
    m.train_of[u].emplace_back(i, weight);
  }
  for (const auto& x : split.valid) m.valid_of[users[x.user]].push_back(items[x.item]);
  for (const auto& x : split.test) m.test_of[users[x.user]].push_back(items[x.item]);
  return m;
}

TopKMetrics SplitMatrices::ScoreValid(const IalsModel& model, int k,
                                      const ParallelFor& parallel) const {
  return Score(model, k, /*test=*/false, parallel);
}

TopKMetrics SplitMatrices::ScoreTest(const IalsModel& model, int k,
                                     const ParallelFor& parallel) const {
  return Score(model, k, /*test=*/true, parallel);
}

TopKMetrics SplitMatrices::Score(const IalsModel& model, int k, bool test,
                                 const ParallelFor& parallel) const {
  std::mutex mu;
  MetricsMean mean;
  parallel(users, [&](int64_t begin, int64_t end) {
    std::vector<TopKMetrics> mine;
    for (int64_t u = begin; u < end; ++u) {
      const std::vector<int32_t>& relevant = test ? test_of[u] : valid_of[u];
      if (relevant.empty()) continue;
      Eigen::VectorXf scores = model.ScoreAll(model.FoldIn(train_of[u]));
      for (const auto& [item, weight] : train_of[u]) {
        scores(item) = -std::numeric_limits<float>::infinity();
      }
      if (test) {
        for (int32_t item : valid_of[u]) {
          scores(item) = -std::numeric_limits<float>::infinity();
        }
      }
      std::vector<int32_t> order(scores.size());
      for (int32_t i = 0; i < static_cast<int32_t>(order.size()); ++i) order[i] = i;
      const auto better = [&](int32_t a, int32_t b) {
        if (scores(a) != scores(b)) return scores(a) > scores(b);
        return a < b;
      };
      const size_t top = std::min<size_t>(k, order.size());
      std::partial_sort(order.begin(), order.begin() + top, order.end(), better);
      std::vector<std::string> ranked;
      for (size_t i = 0; i < top; ++i) ranked.push_back(std::to_string(order[i]));
      absl::flat_hash_set<std::string> wanted;
      for (int32_t item : relevant) wanted.insert(std::to_string(item));
      mine.push_back(UserMetrics(ranked, wanted, k));
    }
    std::lock_guard<std::mutex> lock(mu);
    for (const TopKMetrics& m : mine) mean.Add(m);
  });
  return mean.Mean();
}

}  // namespace portrait
