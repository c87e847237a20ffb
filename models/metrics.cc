#include "models/metrics.h"

#include <algorithm>
#include <cmath>

namespace portrait {

TopKMetrics UserMetrics(const std::vector<std::string>& ranked,
                        const absl::flat_hash_set<std::string>& relevant,
                        int k) {
  TopKMetrics m;
  int hits = 0;
  double dcg = 0;
  const int n = std::min(k, static_cast<int>(ranked.size()));
  for (int i = 0; i < n; ++i) {
    if (relevant.contains(ranked[i])) {
      ++hits;
      dcg += 1.0 / std::log2(i + 2.0);
    }
  }
  double idcg = 0;
  for (int i = 0; i < std::min(k, static_cast<int>(relevant.size())); ++i) {
    idcg += 1.0 / std::log2(i + 2.0);
  }
  m.recall = static_cast<double>(hits) / relevant.size();
  m.precision = static_cast<double>(hits) / k;
  m.hit = hits > 0 ? 1 : 0;
  m.ndcg = idcg > 0 ? dcg / idcg : 0;
  return m;
}

void MetricsMean::Add(const TopKMetrics& m) {
  sum_.recall += m.recall;
  sum_.precision += m.precision;
  sum_.hit += m.hit;
  sum_.ndcg += m.ndcg;
  ++users_;
}

TopKMetrics MetricsMean::Mean() const {
  if (users_ == 0) return TopKMetrics();
  return {sum_.recall / users_, sum_.precision / users_, sum_.hit / users_,
          sum_.ndcg / users_};
}

}  // namespace portrait
