#include "services/model/serving_model.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace portrait {

std::shared_ptr<const ScoredRows> EmbeddingMemo::Find(
    const std::string& user_id, v1::ItemKind kind, const ModelInput& input,
    size_t n) const {
  const std::string key = absl::StrCat(kind, ":", user_id);
  absl::ReaderMutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.n != n ||
      !(it->second.input == input)) {
    return nullptr;
  }
  return it->second.top;
}

void EmbeddingMemo::Store(const std::string& user_id, v1::ItemKind kind,
                          ModelInput input, size_t n,
                          std::shared_ptr<const ScoredRows> top) {
  const std::string key = absl::StrCat(kind, ":", user_id);
  absl::MutexLock lock(&mu_);
  entries_[key] = Entry{std::move(input), n, std::move(top)};
}

size_t EmbeddingMemo::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return entries_.size();
}

ServingModel::Rows ServingModel::RowsOf(v1::ItemKind kind) const {
  const auto first = std::find(item_kinds.begin(), item_kinds.end(), kind);
  const auto last = std::find_if(first, item_kinds.end(),
                                 [kind](v1::ItemKind k) { return k != kind; });
  return {static_cast<int32_t>(first - item_kinds.begin()),
          static_cast<int32_t>(last - item_kinds.begin())};
}

ModelInput ServingModel::InputOf(const UserPortrait& user,
                                 const RankingConfig& config) const {
  ModelInput input;
  for (const auto& [label, item] : user.engaged()) {
    auto it = item_index.find(label);
    if (it == item_index.end()) continue;
    input.engaged.push_back(it->second);
    const float weight = TrainingWeight(user, label, config);
    if (weight <= 0) continue;
    input.seen.emplace_back(it->second, weight);
    input.signals |= item.signals;
  }
  std::sort(input.engaged.begin(), input.engaged.end());
  std::sort(input.seen.begin(), input.seen.end());
  return input;
}

std::shared_ptr<const ScoredRows> ServingModel::Top(const std::string& user_id,
                                                    const ModelInput& input,
                                                    v1::ItemKind kind,
                                                    size_t n) const {
  if (std::shared_ptr<const ScoredRows> known =
          memo.Find(user_id, kind, input, n)) {
    return known;
  }
  ScoredRows rows_found;
  const Rows rows = RowsOf(kind);
  if (!input.seen.empty() && rows.begin < rows.end) {
    rows_found = model.TopItems(model.FoldIn(input.seen), rows.begin, rows.end,
                                n, input.engaged);
  }
  // Copies, which hold exactly their size (TopItems' list has spare
  // capacity); a memo holds one per user.
  auto top = std::make_shared<const ScoredRows>(rows_found);
  memo.Store(user_id, kind, input, n, top);
  return top;
}

float TrainingWeight(const UserPortrait& user, const std::string& label,
                     const RankingConfig& config) {
  double weight = 0;
  user.ForEachEngagement(label, [&](v1::Signal signal,
                                    const Affinity& affinity) {
    weight += config.signal_weight(signal) * (affinity.weight_milli / 1000.0);
  });
  return static_cast<float>(weight);
}

std::vector<std::pair<std::string, float>> TrainingItems(
    const UserPortrait& user, const RankingConfig& config) {
  std::vector<std::pair<std::string, float>> items;
  for (const auto& [label, engaged] : user.engaged()) {
    const float weight = TrainingWeight(user, label, config);
    if (weight > 0) items.emplace_back(label, weight);
  }
  std::sort(items.begin(), items.end());
  return items;
}

}  // namespace portrait
