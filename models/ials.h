// Implicit-feedback alternating least squares (Hu, Koren and Volinsky,
// "Collaborative Filtering for Implicit Feedback Datasets", ICDM 2008).
//
// Each observed (user, item, weight) becomes a preference of 1 with
// confidence 1 + alpha * weight; unobserved pairs are preferences of 0 with
// confidence 1. Training alternates exact least-squares solves for user and
// item factors. Deterministic: the same input (in the same order) and options
// give bit-identical factors (fixed seed, fixed loop order, one thread).
//
// Pure: no I/O, no clock, no threads. Not thread-safe to train; a trained
// model is immutable and safe to read from many threads.
#ifndef PORTRAIT_MODELS_IALS_H_
#define PORTRAIT_MODELS_IALS_H_

#include <cstdint>
#include <vector>

#include <Eigen/Dense>

namespace portrait {

struct IalsOptions {
  int factors = 32;
  int iterations = 6;
  float regularization = 0.1f;
  float alpha = 10.0f;
  uint32_t seed = 1;
};

// Factor vectors, one per row; row-major so that a row (one item's or one
// user's factors) is contiguous for gathers and dot products.
using FactorMatrix =
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct Interaction {
  int32_t user;  // 0 .. users-1
  int32_t item;  // 0 .. items-1
  float weight;  // > 0
};

class IalsModel {
 public:
  // Trains on `interactions` (each (user, item) at most once).
  // REQUIRES: indices in range, options.factors >= 1.
  static IalsModel Train(int users, int items,
                         const std::vector<Interaction>& interactions,
                         const IalsOptions& options);

  // A model from stored factors (items x factors) and options.
  IalsModel(FactorMatrix item_factors, const IalsOptions& options);

  const FactorMatrix& item_factors() const { return items_; }
  const IalsOptions& options() const { return options_; }

  // The factor vector of a user who engaged with `items` (item index,
  // weight): the same least-squares solve training does, against the
  // model's item factors ("fold-in"). Zero for no items.
  Eigen::VectorXf FoldIn(const std::vector<std::pair<int32_t, float>>& items) const;

  // Scores of every item for a user vector: item_factors * user.
  Eigen::VectorXf ScoreAll(const Eigen::Ref<const Eigen::VectorXf>& user) const;
  // Score of one item for a user vector.
  float Score(const Eigen::Ref<const Eigen::VectorXf>& user, int32_t item) const {
    return items_.row(item).dot(user);
  }

  // For every item, its `n` most similar other items by cosine of their
  // factors, most similar first, ties by lower index; only positive
  // similarities.
  std::vector<std::vector<std::pair<int32_t, float>>> NearestItems(int n) const;

 private:
  IalsOptions options_;
  FactorMatrix items_;     // items x factors
  Eigen::MatrixXf gram_;   // items_^T items_, cached for fold-in
};

}  // namespace portrait

#endif  // PORTRAIT_MODELS_IALS_H_
