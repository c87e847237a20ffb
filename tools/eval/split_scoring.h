// A dataset split as the service sees it, in matrix form, and the standard
// full-ranking scoring of a trained model on it: every item is ranked for
// the user's folded-in factors; the user's training items are masked when
// scoring the validation part, training and validation items when scoring
// the test part. Used by tune_model to choose hyper-parameters without the
// service, computing what the service's EMBEDDING source computes.
#ifndef PORTRAIT_TOOLS_EVAL_SPLIT_SCORING_H_
#define PORTRAIT_TOOLS_EVAL_SPLIT_SCORING_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "models/ials.h"
#include "models/metrics.h"
#include "tools/eval/dataset.h"

namespace portrait {

struct SplitMatrices {
  // Splits `data` with `seed` (SplitPerUser) and maps each training
  // interaction to the weight the service trains on: the event weight the
  // evaluation tool sends (log(1 + plays) for Last.fm as BROWSE, the rating
  // for MovieLens as LIKE), in thousandths, times the signal's weight in the
  // shipped ranking configuration.
  static SplitMatrices Build(const Dataset& data, const std::string& format,
                             uint32_t seed);

  // Mean metrics at k over users with validation (test) items.
  TopKMetrics ScoreValid(const IalsModel& model, int k,
                         const ParallelFor& parallel) const;
  TopKMetrics ScoreTest(const IalsModel& model, int k,
                        const ParallelFor& parallel) const;

  uint32_t seed = 0;
  int users = 0;
  int items = 0;
  std::vector<Interaction> train;
  // Per user: training items (index, weight), validation and test items.
  std::vector<std::vector<std::pair<int32_t, float>>> train_of;
  std::vector<std::vector<int32_t>> valid_of, test_of;

 private:
  TopKMetrics Score(const IalsModel& model, int k, bool test,
                    const ParallelFor& parallel) const;
};

}  // namespace portrait

#endif  // PORTRAIT_TOOLS_EVAL_SPLIT_SCORING_H_
