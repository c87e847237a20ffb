#include "models/ials.h"

#include <algorithm>
#include <random>
#include <utility>

namespace portrait {

namespace {

// For each row (user or item), its (column, weight) entries.
using Rows = std::vector<std::vector<std::pair<int32_t, float>>>;

// Solves one row's factors against fixed `other` factors and their Gram
// matrix: (G + sum_i (c_i - 1) o_i o_i^T + lambda I) x = sum_i c_i o_i, with
// the observed rows gathered so that the update is one matrix product.
Eigen::VectorXf SolveRow(const std::vector<std::pair<int32_t, float>>& entries,
                         const FactorMatrix& other, const Eigen::MatrixXf& gram,
                         const IalsOptions& options) {
  const int k = options.factors;
  if (entries.empty()) return Eigen::VectorXf::Zero(k);
  const Eigen::Index n = static_cast<Eigen::Index>(entries.size());
  Eigen::MatrixXf observed(n, k);
  Eigen::VectorXf extra(n);   // c_i - 1
  Eigen::VectorXf confidence(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    observed.row(i) = other.row(entries[i].first);
    confidence(i) = 1 + options.alpha * entries[i].second;
    extra(i) = confidence(i) - 1;
  }
  Eigen::MatrixXf a = gram;
  a.diagonal().array() += options.regularization;
  a.noalias() += observed.transpose() * (extra.asDiagonal() * observed);
  const Eigen::VectorXf b = observed.transpose() * confidence;
  return a.llt().solve(b);
}

// Solves every row's factors against the fixed `other` factors.
void SolveAll(const Rows& rows, const FactorMatrix& other,
              const IalsOptions& options, FactorMatrix* out) {
  const Eigen::MatrixXf gram = other.transpose() * other;
  for (size_t r = 0; r < rows.size(); ++r) {
    out->row(r) = SolveRow(rows[r], other, gram, options).transpose();
  }
}

}  // namespace

IalsModel IalsModel::Train(int users, int items,
                           const std::vector<Interaction>& interactions,
                           const IalsOptions& options) {
  Rows by_user(users), by_item(items);
  for (const Interaction& x : interactions) {
    by_user[x.user].emplace_back(x.item, x.weight);
    by_item[x.item].emplace_back(x.user, x.weight);
  }
  std::mt19937 rng(options.seed);
  std::normal_distribution<float> normal(0.0f, 0.01f);
  FactorMatrix user_factors(users, options.factors);
  FactorMatrix item_factors(items, options.factors);
  for (int i = 0; i < items; ++i) {
    for (int f = 0; f < options.factors; ++f) item_factors(i, f) = normal(rng);
  }
  for (int it = 0; it < options.iterations; ++it) {
    SolveAll(by_user, item_factors, options, &user_factors);
    SolveAll(by_item, user_factors, options, &item_factors);
  }
  return IalsModel(std::move(item_factors), options);
}

IalsModel::IalsModel(FactorMatrix item_factors, const IalsOptions& options)
    : options_(options),
      items_(std::move(item_factors)),
      gram_(items_.transpose() * items_) {}

Eigen::VectorXf IalsModel::FoldIn(
    const std::vector<std::pair<int32_t, float>>& items) const {
  return SolveRow(items, items_, gram_, options_);
}

std::vector<std::vector<std::pair<int32_t, float>>> IalsModel::NearestItems(
    int n) const {
  const Eigen::Index items = items_.rows();
  FactorMatrix unit = items_;
  for (Eigen::Index i = 0; i < items; ++i) {
    const float norm = unit.row(i).norm();
    if (norm > 0) unit.row(i) /= norm;
  }
  std::vector<std::vector<std::pair<int32_t, float>>> nearest(items);
  if (n <= 0) return nearest;
  // (item, similarity): more similar first, ties by lower index.
  const auto better = [](const std::pair<int32_t, float>& a,
                         const std::pair<int32_t, float>& b) {
    if (a.second != b.second) return a.second > b.second;
    return a.first < b.first;
  };
  constexpr Eigen::Index kBlock = 256;
  // Row-major, so that one item's similarities are contiguous.
  FactorMatrix sims;
  std::vector<std::pair<int32_t, float>> best;  // A heap, the worst on top.
  for (Eigen::Index start = 0; start < items; start += kBlock) {
    const Eigen::Index rows = std::min(kBlock, items - start);
    sims.noalias() = unit.middleRows(start, rows) * unit.transpose();
    for (Eigen::Index r = 0; r < rows; ++r) {
      const int32_t self = static_cast<int32_t>(start + r);
      best.clear();
      for (int32_t j = 0; j < items; ++j) {
        const std::pair<int32_t, float> entry(j, sims(r, j));
        if (j == self || entry.second <= 0) continue;
        if (best.size() < static_cast<size_t>(n)) {
          best.push_back(entry);
          std::push_heap(best.begin(), best.end(), better);
        } else if (better(entry, best.front())) {
          std::pop_heap(best.begin(), best.end(), better);
          best.back() = entry;
          std::push_heap(best.begin(), best.end(), better);
        }
      }
      std::sort(best.begin(), best.end(), better);
      nearest[self] = best;
    }
  }
  return nearest;
}

Eigen::VectorXf IalsModel::ScoreAll(
    const Eigen::Ref<const Eigen::VectorXf>& user) const {
  return items_ * user;
}

}  // namespace portrait
