// Top-k ranking metrics with binary relevance, as published benchmark tables
// compute them (per user, then averaged over users with at least one
// relevant item):
//   Recall@k    = hits / |relevant|
//   Precision@k = hits / k
//   Hit@k       = 1 if hits > 0
//   NDCG@k      = DCG / IDCG, DCG = sum over hit positions i (0-based) of
//                 1 / log2(i + 2), IDCG the DCG of min(k, |relevant|) hits.
#ifndef PORTRAIT_MODELS_METRICS_H_
#define PORTRAIT_MODELS_METRICS_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace portrait {

struct TopKMetrics {
  double recall = 0;
  double precision = 0;
  double hit = 0;
  double ndcg = 0;
};

// One user's metrics for `ranked` (best first; only the first k count)
// against `relevant`. REQUIRES: relevant non-empty, k >= 1.
TopKMetrics UserMetrics(const std::vector<std::string>& ranked,
                        const absl::flat_hash_set<std::string>& relevant,
                        int k);

// Accumulates users' metrics into their mean.
class MetricsMean {
 public:
  void Add(const TopKMetrics& m);
  TopKMetrics Mean() const;
  int users() const { return users_; }

 private:
  TopKMetrics sum_;
  int users_ = 0;
};

}  // namespace portrait

#endif  // PORTRAIT_MODELS_METRICS_H_
