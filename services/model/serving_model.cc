#include "services/model/serving_model.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace portrait {

std::optional<UserTop> EmbeddingMemo::Find(const std::string& user_id,
                                           v1::ItemKind kind, uint64_t revision,
                                           size_t n) const {
  const std::string key = absl::StrCat(kind, ":", user_id);
  absl::ReaderMutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.n != n ||
      it->second.revision != revision) {
    return std::nullopt;
  }
  return UserTop{it->second.top, it->second.input.signals};
}

std::shared_ptr<const ScoredRows> EmbeddingMemo::Find(
    const std::string& user_id, v1::ItemKind kind, const ModelInput& input,
    uint64_t revision, size_t n) {
  const std::string key = absl::StrCat(kind, ":", user_id);
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.n != n ||
      !(it->second.input == input)) {
    return nullptr;
  }
  it->second.revision = revision;
  return it->second.top;
}

void EmbeddingMemo::Store(const std::string& user_id, v1::ItemKind kind,
                          ModelInput input, uint64_t revision, size_t n,
                          std::shared_ptr<const ScoredRows> top) {
  const std::string key = absl::StrCat(kind, ":", user_id);
  absl::MutexLock lock(&mu_);
  entries_[key] = Entry{std::move(input), revision, n, std::move(top)};
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

UserTop ServingModel::TopFor(const std::string& user_id,
                             const UserPortrait& user,
                             const RankingConfig& config, v1::ItemKind kind,
                             size_t n) const {
  const uint64_t revision = user.revision();
  if (std::optional<UserTop> known = memo.Find(user_id, kind, revision, n)) {
    return *std::move(known);
  }
  ModelInput input = InputOf(user, config);
  const SignalSet signals = input.signals;
  if (std::shared_ptr<const ScoredRows> known =
          memo.Find(user_id, kind, input, revision, n)) {
    return {std::move(known), signals};
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
  memo.Store(user_id, kind, std::move(input), revision, n, top);
  return {std::move(top), signals};
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
