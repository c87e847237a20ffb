#include "tools/eval/split_scoring.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "config/ranking_config.h"
#include "models/affinity.h"

namespace portrait {

SplitMatrices SplitMatrices::Build(const Dataset& data,
                                   const std::string& format, uint32_t seed) {
  const bool ratings = format != "lastfm";
  const double signal_weight =
      RankingConfig::Shipped().signal_weight(ratings ? v1::LIKE : v1::BROWSE);
  const Split split = SplitPerUser(data.interactions, seed);
  // As the service builds its model: users and the items of the training
  // part, each in id order (the labels' order), interactions by user then
  // item. Items seen only in validation or test get distinct negative
  // indices: relevant, but never ranked (the service's model does not
  // know them either).
  std::map<std::string, int32_t> users, items;
  for (const auto& x : data.interactions) users.emplace(x.user, 0);
  for (const auto& x : split.train) items.emplace(x.item, 0);
  int32_t n = 0;
  for (auto& [id, index] : users) index = n++;
  n = 0;
  for (auto& [id, index] : items) index = n++;
  int32_t unknown = 0;
  const auto item_index = [&](const std::string& id) {
    auto [it, inserted] = items.try_emplace(id, 0);
    if (inserted) it->second = --unknown;
    return it->second;
  };
  SplitMatrices m;
  m.seed = seed;
  m.users = static_cast<int>(users.size());
  m.items = n;
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
  std::sort(m.train.begin(), m.train.end(),
            [](const Interaction& a, const Interaction& b) {
              return std::make_pair(a.user, a.item) <
                     std::make_pair(b.user, b.item);
            });
  for (auto& row : m.train_of) std::sort(row.begin(), row.end());
  for (const auto& x : split.valid)
    m.valid_of[users[x.user]].push_back(item_index(x.item));
  for (const auto& x : split.test)
    m.test_of[users[x.user]].push_back(item_index(x.item));
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
      // The service's EMBEDDING: exact top k of every item, known ones
      // left out (TopItems).
      std::vector<int32_t> known;
      for (const auto& [item, weight] : train_of[u]) known.push_back(item);
      if (test)
        known.insert(known.end(), valid_of[u].begin(), valid_of[u].end());
      std::vector<std::string> ranked;
      for (const auto& [item, score] :
           model.TopItems(model.FoldIn(train_of[u]), 0, items, k, known)) {
        ranked.push_back(std::to_string(item));
      }
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
