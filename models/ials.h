// Implicit-feedback alternating least squares (Hu, Koren and Volinsky,
// "Collaborative Filtering for Implicit Feedback Datasets", ICDM 2008).
//
// Each observed (user, item, weight) becomes a preference of 1 with
// confidence c = 1 + alpha * f(weight), f(w) = w (linear) or log(1 + w)
// (log); unobserved pairs are preferences of 0 with confidence 1. Training
// alternates least-squares solves for user and item factors: exact
// (Cholesky) or a few conjugate-gradient steps warm-started from the previous
// iteration (Takacs, Pilaszy and Tikk, RecSys 2011), which avoids forming
// each row's k x k system. A row with n observations has the ridge term
// regularization * (1 + n)^regularization_exponent.
//
// Deterministic: the same input (in the same order) and options give
// bit-identical factors, however many threads a ParallelFor uses (rows are
// solved independently; every shared product is computed on one thread).
//
// Training can also be split over disjoint sets of users (the shards of a
// cluster, docs/SCALING.md): each set solves its users' factors
// (SolveRows) and sums, per item, what the item's solve needs of them
// (SumItems); the sums of all sets add up (ItemSums::Add) and solve the
// items (SolveItems). The factors equal IalsModel::Train's up to float
// rounding (the sums are added in another order).
//
// Pure: no I/O, no clock, no threads of its own. Not thread-safe to train; a
// trained model is immutable and safe to read from many threads.
#ifndef PORTRAIT_MODELS_IALS_H_
#define PORTRAIT_MODELS_IALS_H_

#include <Eigen/Dense>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "models/quantized_factors.h"

namespace portrait {

enum class IalsConfidence {
  kLinear,  // c = 1 + alpha * w
  kLog,     // c = 1 + alpha * log(1 + w)
};

struct IalsOptions {
  int factors = 32;
  int iterations = 6;
  float regularization = 0.1f;
  // Rows with more observations are regularised more when > 0.
  float regularization_exponent = 0.0f;
  float alpha = 10.0f;
  IalsConfidence confidence = IalsConfidence::kLinear;
  // Conjugate-gradient steps per row and iteration; 0 = exact solves.
  int cg_steps = 0;
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

// Calls fn(begin, end) on disjoint ranges that together cover [0, n), in
// any order and possibly concurrently, and returns when all have returned.
using ParallelFor = std::function<void(
    int64_t n, const std::function<void(int64_t, int64_t)>& fn)>;

// A ParallelFor that runs fn(0, n) on the calling thread.
void RunSerially(int64_t n, const std::function<void(int64_t, int64_t)>& fn);

// For each row (user or item), its (column, weight) entries.
using IalsRows = std::vector<std::vector<std::pair<int32_t, float>>>;

class IalsModel {
 public:
  // Trains on `interactions` (each (user, item) at most once), solving rows
  // through `parallel`. `stop`, if given, is asked before each half
  // iteration; once it returns true, training ends early and the model
  // returned is not one to use.
  // REQUIRES: indices in range, options.factors >= 1.
  static IalsModel Train(int users, int items,
                         const std::vector<Interaction>& interactions,
                         const IalsOptions& options,
                         const ParallelFor& parallel = RunSerially,
                         const std::function<bool()>& stop = nullptr);

  // A model from stored factors (items x factors) and options.
  IalsModel(FactorMatrix item_factors, const IalsOptions& options);

  const FactorMatrix& item_factors() const { return items_; }
  const IalsOptions& options() const { return options_; }

  // The factor vector of a user who engaged with `items` (item index,
  // weight): the exact least-squares solve of training's user step, against
  // the model's item factors ("fold-in"). Zero for no items.
  Eigen::VectorXf FoldIn(
      const std::vector<std::pair<int32_t, float>>& items) const;

  // Scores of every item for a user vector: item_factors * user.
  Eigen::VectorXf ScoreAll(const Eigen::Ref<const Eigen::VectorXf>& user) const;
  // Score of one item for a user vector.
  float Score(const Eigen::Ref<const Eigen::VectorXf>& user,
              int32_t item) const {
    return items_.row(item).dot(user);
  }

  // The `n` items of rows [begin, end), other than `excluded` (any order),
  // with the highest Score(user, item), best first, ties by lower row: the
  // same list as scoring every row in float and sorting. Scores every row
  // through the 8-bit copy's bounds (QuantizedFactors) and computes in float
  // only the rows whose upper bound reaches the n-th best lower bound.
  // If `rescored` is not null, sets it to how many rows were scored in float.
  // REQUIRES: 0 <= begin <= end <= items, user.size() == factors.
  std::vector<std::pair<int32_t, float>> TopItems(
      const Eigen::Ref<const Eigen::VectorXf>& user, int32_t begin, int32_t end,
      size_t n, const std::vector<int32_t>& excluded,
      size_t* rescored = nullptr) const;

 private:
  IalsOptions options_;
  FactorMatrix items_;          // items x factors
  Eigen::MatrixXf gram_;        // items_^T items_, cached for fold-in
  QuantizedFactors quantized_;  // of items_
};

// Per item, sums over a set of users of what the item's least-squares solve
// needs. Adding the sums of disjoint sets of users gives their union's.
struct ItemSums {
  ItemSums(int items, int factors);

  // Floats per item in `sums`: the upper triangle of sum (c - 1) x x^T, row
  // by row, then sum c x, over the users x who engaged with the item.
  static int Width(int factors) {
    return factors * (factors + 1) / 2 + factors;
  }

  // REQUIRES: the same items and factors.
  void Add(const ItemSums& other);

  std::vector<int32_t> observations;  // Per item: users who engaged with it.
  FactorMatrix sums;                  // items x Width(factors).
  Eigen::MatrixXf gram;               // sum x x^T over every user of the set.
};

// Adds each interaction, in order, to its user's row (item, weight) and to
// its item's row (user, weight). REQUIRES: rows sized for every index.
void AddToRows(const std::vector<Interaction>& interactions, IalsRows* by_user,
               IalsRows* by_item);

// The item factors a training starts from (IalsModel::Train's).
FactorMatrix InitialItemFactors(int items, const IalsOptions& options);

// Solves the factors of every row of `rows` against the fixed factors
// `other` (the columns' rows), in place: conjugate gradient starts from the
// current factors. `gram` is the Gram matrix of all the other side's factors,
// including rows no entry names. The user half of a training iteration.
void SolveRows(const IalsRows& rows, const FactorMatrix& other,
               const Eigen::MatrixXf& gram, const IalsOptions& options,
               const ParallelFor& parallel, FactorMatrix* out);

// The item sums of the users whose factors are `users`; by_item[i] holds item
// i's (user row, weight) entries, by user row.
ItemSums SumItems(const IalsRows& by_item, const FactorMatrix& users,
                  const IalsOptions& options, const ParallelFor& parallel);

// The item half of a training iteration from the sums of all users, in
// place (conjugate gradient starts from the current factors).
// REQUIRES: items->rows() == sums.observations.size().
void SolveItems(const ItemSums& sums, const IalsOptions& options,
                const ParallelFor& parallel, FactorMatrix* items);

// For the item half by conjugate gradient over disjoint sets of users: per
// item i, the sums over the users x who engaged with it of c x (`rhs`, when
// not null) and of (c - 1) (x . v_i) x for the item's row v_i of
// `directions` (items x factors).
FactorMatrix ItemProducts(const IalsRows& by_item, const FactorMatrix& users,
                          const FactorMatrix& directions,
                          const IalsOptions& options,
                          const ParallelFor& parallel,
                          FactorMatrix* rhs = nullptr);

// The item half by `options.cg_steps` conjugate-gradient steps when the
// users' factors are spread over sets (SolveRows' CG, step for step): the
// caller adds up the sets' ItemProducts of directions() and passes them to
// Step(), cg_steps times.
class ItemConjugateGradient {
 public:
  // Starts from the current `items` factors, with the sums over all users
  // of the items' observations, of x x^T (`gram`), of c x (`rhs`) and of
  // the ItemProducts of `items` themselves.
  ItemConjugateGradient(const IalsOptions& options, FactorMatrix items,
                        std::vector<int32_t> observations,
                        const Eigen::MatrixXf& gram, const FactorMatrix& rhs,
                        const FactorMatrix& products);

  // The directions whose ItemProducts the next Step() takes.
  const FactorMatrix& directions() const { return directions_; }
  void Step(const FactorMatrix& products);
  const FactorMatrix& items() const { return items_; }

 private:
  // A * v for every item's row v of `v`, given its ItemProducts.
  FactorMatrix Apply(const FactorMatrix& v, const FactorMatrix& products) const;

  FactorMatrix items_, residuals_, directions_;
  Eigen::VectorXf lambda_;   // Per item.
  Eigen::VectorXf squared_;  // |residual|^2 per item.
  Eigen::MatrixXf gram_;
};

}  // namespace portrait

#endif  // PORTRAIT_MODELS_IALS_H_
