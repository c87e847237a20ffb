#include "models/ials.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <utility>

namespace portrait {

namespace {

float Confidence(const IalsOptions& options, float weight) {
  const float f =
      options.confidence == IalsConfidence::kLog ? std::log1p(weight) : weight;
  return 1 + options.alpha * f;
}

float RowRegularization(const IalsOptions& options, size_t observations) {
  if (options.regularization_exponent == 0) return options.regularization;
  return options.regularization *
         std::pow(1.0f + observations, options.regularization_exponent);
}

// `steps` conjugate-gradient steps from `x` on A x = rhs, where apply(v)
// computes A v.
template <typename Apply>
void ConjugateGradient(const Apply& apply, const Eigen::VectorXf& rhs,
                       int steps, Eigen::Ref<Eigen::VectorXf> x) {
  Eigen::VectorXf r = rhs - apply(x);
  Eigen::VectorXf p = r;
  float rs = r.squaredNorm();
  for (int s = 0; s < steps && rs > 1e-20f; ++s) {
    const Eigen::VectorXf ap = apply(p);
    const float step = rs / p.dot(ap);
    x += step * p;
    r -= step * ap;
    const float next = r.squaredNorm();
    p = r + (next / rs) * p;
    rs = next;
  }
}

// One row's least-squares problem against fixed `other` factors:
//   A x = b, A = G + lambda I + sum_i (c_i - 1) o_i o_i^T, b = sum_i c_i o_i,
// with the observed rows o_i gathered into one matrix.
class RowProblem {
 public:
  RowProblem(const std::vector<std::pair<int32_t, float>>& entries,
             const FactorMatrix& other, const Eigen::MatrixXf& gram,
             const IalsOptions& options)
      : gram_(gram), lambda_(RowRegularization(options, entries.size())) {
    const Eigen::Index n = static_cast<Eigen::Index>(entries.size());
    observed_.resize(n, options.factors);
    extra_.resize(n);
    confidence_.resize(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      observed_.row(i) = other.row(entries[i].first);
      confidence_(i) = Confidence(options, entries[i].second);
      extra_(i) = confidence_(i) - 1;
    }
  }

  Eigen::VectorXf Rhs() const { return observed_.transpose() * confidence_; }

  // A * v, without forming A.
  Eigen::VectorXf Apply(const Eigen::VectorXf& v) const {
    Eigen::VectorXf out = gram_ * v;
    out += lambda_ * v;
    const Eigen::VectorXf projected = extra_.cwiseProduct(observed_ * v);
    out.noalias() += observed_.transpose() * projected;
    return out;
  }

  Eigen::VectorXf SolveExact() const {
    Eigen::MatrixXf a = gram_;
    a.diagonal().array() += lambda_;
    a.noalias() += observed_.transpose() * (extra_.asDiagonal() * observed_);
    return a.llt().solve(Rhs());
  }

  // `steps` conjugate-gradient steps from `x`.
  void RefineCg(int steps, Eigen::Ref<Eigen::VectorXf> x) const {
    ConjugateGradient([this](const Eigen::VectorXf& v) { return Apply(v); },
                      Rhs(), steps, x);
  }

 private:
  const Eigen::MatrixXf& gram_;
  const float lambda_;
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>
      observed_;
  Eigen::VectorXf extra_;       // c_i - 1
  Eigen::VectorXf confidence_;  // c_i
};

}  // namespace

void RunSerially(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  fn(0, n);
}

void SolveRows(const IalsRows& rows, const FactorMatrix& other,
               const Eigen::MatrixXf& gram, const IalsOptions& options,
               const ParallelFor& parallel, FactorMatrix* out) {
  parallel(static_cast<int64_t>(rows.size()), [&](int64_t begin, int64_t end) {
    Eigen::VectorXf x(options.factors);
    for (int64_t r = begin; r < end; ++r) {
      if (rows[r].empty()) {
        out->row(r).setZero();
        continue;
      }
      const RowProblem problem(rows[r], other, gram, options);
      if (options.cg_steps == 0) {
        out->row(r) = problem.SolveExact().transpose();
      } else {
        x = out->row(r).transpose();
        problem.RefineCg(options.cg_steps, x);
        out->row(r) = x.transpose();
      }
    }
  });
}

void AddToRows(const std::vector<Interaction>& interactions, IalsRows* by_user,
               IalsRows* by_item) {
  for (const Interaction& x : interactions) {
    (*by_user)[x.user].emplace_back(x.item, x.weight);
    (*by_item)[x.item].emplace_back(x.user, x.weight);
  }
}

FactorMatrix InitialItemFactors(int items, const IalsOptions& options) {
  std::mt19937 rng(options.seed);
  std::normal_distribution<float> normal(0.0f, 0.01f);
  FactorMatrix factors(items, options.factors);
  for (int i = 0; i < items; ++i) {
    for (int f = 0; f < options.factors; ++f) factors(i, f) = normal(rng);
  }
  return factors;
}

ItemSums::ItemSums(int items, int factors)
    : observations(items, 0),
      sums(FactorMatrix::Zero(items, Width(factors))),
      gram(Eigen::MatrixXf::Zero(factors, factors)) {}

void ItemSums::Add(const ItemSums& other) {
  for (size_t i = 0; i < observations.size(); ++i)
    observations[i] += other.observations[i];
  sums += other.sums;
  gram += other.gram;
}

ItemSums SumItems(const IalsRows& by_item, const FactorMatrix& users,
                  const IalsOptions& options, const ParallelFor& parallel) {
  const int k = options.factors;
  ItemSums out(static_cast<int>(by_item.size()), k);
  out.gram = users.transpose() * users;
  parallel(static_cast<int64_t>(by_item.size()),
           [&](int64_t begin, int64_t end) {
             Eigen::MatrixXf outer(k, k);
             Eigen::VectorXf linear(k);
             for (int64_t i = begin; i < end; ++i) {
               const auto& entries = by_item[i];
               out.observations[i] = static_cast<int32_t>(entries.size());
               if (entries.empty()) continue;
               outer.setZero();
               linear.setZero();
               for (const auto& [user, weight] : entries) {
                 const float c = Confidence(options, weight);
                 const auto x = users.row(user).transpose();
                 outer.selfadjointView<Eigen::Upper>().rankUpdate(x, c - 1);
                 linear += c * x;
               }
               float* row = out.sums.row(i).data();
               for (int a = 0; a < k; ++a) {
                 for (int b = a; b < k; ++b) *row++ = outer(a, b);
               }
               for (int a = 0; a < k; ++a) *row++ = linear(a);
             }
           });
  return out;
}

void SolveItems(const ItemSums& sums, const IalsOptions& options,
                const ParallelFor& parallel, FactorMatrix* items) {
  const int k = options.factors;
  parallel(static_cast<int64_t>(sums.observations.size()), [&](int64_t begin,
                                                               int64_t end) {
    Eigen::MatrixXf a(k, k);
    Eigen::VectorXf b(k), x(k);
    for (int64_t i = begin; i < end; ++i) {
      if (sums.observations[i] == 0) {
        items->row(i).setZero();
        continue;
      }
      const float* row = sums.sums.row(i).data();
      for (int r = 0; r < k; ++r) {
        for (int c = r; c < k; ++c) a(r, c) = a(c, r) = *row++;
      }
      for (int r = 0; r < k; ++r) b(r) = *row++;
      a += sums.gram;
      a.diagonal().array() += RowRegularization(options, sums.observations[i]);
      if (options.cg_steps == 0) {
        items->row(i) = a.llt().solve(b).transpose();
      } else {
        x = items->row(i).transpose();
        ConjugateGradient(
            [&a](const Eigen::VectorXf& v) -> Eigen::VectorXf { return a * v; },
            b, options.cg_steps, x);
        items->row(i) = x.transpose();
      }
    }
  });
}

FactorMatrix ItemProducts(const IalsRows& by_item, const FactorMatrix& users,
                          const FactorMatrix& directions,
                          const IalsOptions& options,
                          const ParallelFor& parallel, FactorMatrix* rhs) {
  const int k = options.factors;
  const int64_t items = static_cast<int64_t>(by_item.size());
  FactorMatrix out = FactorMatrix::Zero(items, k);
  if (rhs != nullptr) *rhs = FactorMatrix::Zero(items, k);
  parallel(items, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const auto v = directions.row(i);
      for (const auto& [user, weight] : by_item[i]) {
        const float c = Confidence(options, weight);
        const auto x = users.row(user);
        out.row(i) += ((c - 1) * x.dot(v)) * x;
        if (rhs != nullptr) rhs->row(i) += c * x;
      }
    }
  });
  return out;
}

ItemConjugateGradient::ItemConjugateGradient(const IalsOptions& options,
                                             FactorMatrix items,
                                             std::vector<int32_t> observations,
                                             const Eigen::MatrixXf& gram,
                                             const FactorMatrix& rhs,
                                             const FactorMatrix& products)
    : items_(std::move(items)), gram_(gram) {
  const int64_t n = items_.rows();
  lambda_.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    lambda_(i) = RowRegularization(options, observations[i]);
    // No user engaged with it: as SolveRows, a zero row that stays zero.
    if (observations[i] == 0) items_.row(i).setZero();
  }
  residuals_ = rhs - Apply(items_, products);
  for (int64_t i = 0; i < n; ++i) {
    if (observations[i] == 0) residuals_.row(i).setZero();
  }
  directions_ = residuals_;
  squared_ = residuals_.rowwise().squaredNorm();
}

FactorMatrix ItemConjugateGradient::Apply(const FactorMatrix& v,
                                          const FactorMatrix& products) const {
  // Row i: G v_i + lambda_i v_i + products_i (G is symmetric).
  FactorMatrix out = v * gram_;
  out += lambda_.asDiagonal() * v;
  out += products;
  return out;
}

void ItemConjugateGradient::Step(const FactorMatrix& products) {
  const FactorMatrix applied = Apply(directions_, products);
  for (int64_t i = 0; i < items_.rows(); ++i) {
    const float rs = squared_(i);
    if (!(rs > 1e-20f)) continue;  // Converged (SolveRows stops there too).
    const float step = rs / directions_.row(i).dot(applied.row(i));
    items_.row(i) += step * directions_.row(i);
    residuals_.row(i) -= step * applied.row(i);
    const float next = residuals_.row(i).squaredNorm();
    directions_.row(i) = residuals_.row(i) + (next / rs) * directions_.row(i);
    squared_(i) = next;
  }
}

IalsModel IalsModel::Train(int users, int items,
                           const std::vector<Interaction>& interactions,
                           const IalsOptions& options,
                           const ParallelFor& parallel,
                           const std::function<bool()>& stop) {
  IalsRows by_user(users), by_item(items);
  AddToRows(interactions, &by_user, &by_item);
  FactorMatrix user_factors = FactorMatrix::Zero(users, options.factors);
  FactorMatrix item_factors = InitialItemFactors(items, options);
  auto stopped = [&] { return stop != nullptr && stop(); };
  for (int it = 0; it < options.iterations && !stopped(); ++it) {
    SolveRows(by_user, item_factors, item_factors.transpose() * item_factors,
              options, parallel, &user_factors);
    if (stopped()) break;
    SolveRows(by_item, user_factors, user_factors.transpose() * user_factors,
              options, parallel, &item_factors);
  }
  return IalsModel(std::move(item_factors), options);
}

IalsModel::IalsModel(FactorMatrix item_factors, const IalsOptions& options)
    : options_(options),
      items_(std::move(item_factors)),
      gram_(items_.transpose() * items_),
      quantized_(items_) {}

Eigen::VectorXf IalsModel::FoldIn(
    const std::vector<std::pair<int32_t, float>>& items) const {
  if (items.empty()) return Eigen::VectorXf::Zero(options_.factors);
  return RowProblem(items, items_, gram_, options_).SolveExact();
}

std::vector<std::pair<int32_t, float>> IalsModel::TopItems(
    const Eigen::Ref<const Eigen::VectorXf>& user, int32_t begin, int32_t end,
    size_t n, const std::vector<int32_t>& excluded, size_t* rescored) const {
  std::vector<std::pair<int32_t, float>> top;
  if (rescored != nullptr) *rescored = 0;
  if (n == 0 || begin >= end) return top;
  constexpr float kExcluded = -std::numeric_limits<float>::infinity();
  const int64_t count = end - begin;
  thread_local std::vector<float> lower, upper, heap;
  lower.resize(count);
  upper.resize(count);
  quantized_.Bounds(user, begin, end, lower.data(), upper.data());
  for (int32_t row : excluded) {
    if (row >= begin && row < end)
      lower[row - begin] = upper[row - begin] = kExcluded;
  }
  // The n-th best lower bound (a min-heap of the n best): every row of the
  // exact top n has a score, hence an upper bound, at least that high. Rows
  // go by in chunks; a chunk whose best lower bound cannot enter the heap
  // (most, once it is full) costs one pass of comparisons.
  constexpr int64_t kChunk = 16;
  heap.clear();
  const auto greater = std::greater<float>();
  for (int64_t start = 0; start < count; start += kChunk) {
    const int64_t stop = std::min(count, start + kChunk);
    if (heap.size() == n) {
      float best = kExcluded;
      for (int64_t i = start; i < stop; ++i) best = std::max(best, lower[i]);
      if (!(best > heap.front())) continue;
    }
    for (int64_t i = start; i < stop; ++i) {
      if (lower[i] == kExcluded) continue;
      if (heap.size() < n) {
        heap.push_back(lower[i]);
        std::push_heap(heap.begin(), heap.end(), greater);
      } else if (lower[i] > heap.front()) {
        std::pop_heap(heap.begin(), heap.end(), greater);
        heap.back() = lower[i];
        std::push_heap(heap.begin(), heap.end(), greater);
      }
    }
  }
  const float threshold = heap.size() < n ? kExcluded : heap.front();
  for (int64_t start = 0; start < count; start += kChunk) {
    const int64_t stop = std::min(count, start + kChunk);
    float best = kExcluded;
    for (int64_t i = start; i < stop; ++i) best = std::max(best, upper[i]);
    if (best < threshold) continue;
    for (int64_t i = start; i < stop; ++i) {
      if (lower[i] == kExcluded || upper[i] < threshold) continue;
      const int32_t row = static_cast<int32_t>(begin + i);
      top.emplace_back(row, Score(user, row));
    }
  }
  if (rescored != nullptr) *rescored = top.size();
  const auto better = [](const std::pair<int32_t, float>& a,
                         const std::pair<int32_t, float>& b) {
    if (a.second != b.second) return a.second > b.second;
    return a.first < b.first;
  };
  if (top.size() > n) {
    std::nth_element(top.begin(), top.begin() + n, top.end(), better);
    top.resize(n);
  }
  std::sort(top.begin(), top.end(), better);
  return top;
}

Eigen::VectorXf IalsModel::ScoreAll(
    const Eigen::Ref<const Eigen::VectorXf>& user) const {
  return items_ * user;
}

}  // namespace portrait
