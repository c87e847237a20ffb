#include "services/portrait/user_portrait.h"

#include <atomic>
#include <tuple>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "models/features.h"

namespace portrait {

std::string ItemLabel(v1::ItemKind kind, absl::string_view id) {
  switch (kind) {
    case v1::ITEM_POST:
      return absl::StrCat("post:", id);
    case v1::ITEM_BRAND:
      return absl::StrCat("brand:", id);
    default:
      return absl::StrCat("user:", id);
  }
}

std::string ItemLabel(const v1::ItemRef& ref) {
  return ItemLabel(ref.kind(), ref.id());
}

std::string DismissedLabel(absl::string_view item_label) {
  return absl::StrCat("dismissed:", item_label);
}

bool SplitLabel(absl::string_view label, absl::string_view* kind,
                absl::string_view* id) {
  size_t colon = label.find(':');
  if (colon == absl::string_view::npos) return false;
  *kind = label.substr(0, colon);
  *id = label.substr(colon + 1);
  return true;
}

v1::ItemKind LabelKind(absl::string_view label) {
  absl::string_view kind, id;
  if (!SplitLabel(label, &kind, &id)) return v1::ITEM_KIND_UNSPECIFIED;
  if (kind == "post") return v1::ITEM_POST;
  if (kind == "brand") return v1::ITEM_BRAND;
  if (kind == "user") return v1::ITEM_USER;
  return v1::ITEM_KIND_UNSPECIFIED;
}

v1::ItemRef LabelRef(absl::string_view label) {
  v1::ItemRef ref;
  absl::string_view kind, id;
  if (SplitLabel(label, &kind, &id)) {
    ref.set_kind(LabelKind(label));
    ref.set_id(std::string(id));
  }
  return ref;
}

void UserPortrait::Engage(const std::string& label, int64_t at_ms,
                          v1::Signal signal) {
  EngagedItem& item = engaged_[label];
  if (at_ms > item.last_ms) {
    by_recency_.erase({-item.last_ms, label});
    item.last_ms = at_ms;
    by_recency_.insert({-item.last_ms, label});
  }
  item.signals.Add(signal);
}

uint64_t UserPortrait::NewRevision() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

void UserPortrait::Changed() {
  revision_ = NewRevision();
  absl::MutexLock lock(&shares_memo_->mu);
  shares_memo_->entries.clear();
}

void UserPortrait::Add(const v1::Event& event, const RankingConfig& config) {
  Changed();
  SignalBlock& block = blocks_[event.signal()];
  ++block.events;
  const int64_t weight = WeightMilli(event.weight());
  const int64_t at = event.occurred_at_ms();
  switch (event.payload_case()) {
    case v1::Event::kSearch:
      for (const std::string& term : QueryTerms(event.search().query())) {
        block.features[absl::StrCat("term:", term)].Add(weight, at);
      }
      break;
    case v1::Event::kLocation:
      block
          .features[absl::StrCat("cell:",
                                 GeoCell(event.location().latitude(),
                                         event.location().longitude()))]
          .Add(weight, at);
      break;
    case v1::Event::kContacts:
      for (const std::string& hash : event.contacts().contact_hashes()) {
        block.features[absl::StrCat("contact:", absl::BytesToHexString(hash))]
            .Add(weight, at);
      }
      break;
    case v1::Event::kProfileAttributes:
      for (ProfileStatement* statement :
           {&block.latest, &block.latest_with_birth_year}) {
        if (statement == &block.latest_with_birth_year &&
            event.profile_attributes().birth_year() == 0) {
          continue;
        }
        if (std::tie(at, event.event_id()) >
            std::tie(statement->at_ms, statement->event_id)) {
          *statement = {at, event.event_id(), event.profile_attributes()};
        }
      }
      break;
    default:
      break;
  }
  if (!event.has_target()) return;
  if (event.has_push_feedback() &&
      event.push_feedback().reaction() == v1::PUSH_DISMISSED) {
    // Not interest: kept apart from the items engaged with.
    block.features[DismissedLabel(ItemLabel(event.target()))].Add(weight, at);
    return;
  }
  const std::string label = ItemLabel(event.target());
  block.features[label].Add(weight, at);
  if (config.IsEngagement(event.signal()) &&
      event.target().kind() != v1::ITEM_USER) {
    Engage(label, at, event.signal());
  }
}

void UserPortrait::Drop(v1::Signal signal, const RankingConfig& config) {
  if (blocks_.erase(signal) == 0) return;
  Changed();
  engaged_.clear();
  by_recency_.clear();
  for (const auto& [s, block] : blocks_) {
    const v1::Signal other = static_cast<v1::Signal>(s);
    if (!config.IsEngagement(other)) continue;
    for (const auto& [label, affinity] : block.features) {
      if (absl::StartsWith(label, "post:") ||
          absl::StartsWith(label, "brand:")) {
        Engage(label, affinity.last_ms, other);
      }
    }
  }
}

const SignalBlock* UserPortrait::Block(v1::Signal signal) const {
  auto it = blocks_.find(signal);
  return it == blocks_.end() ? nullptr : &it->second;
}

double UserPortrait::EngagedWeight(const std::string& label,
                                   const RankingConfig& config,
                                   int64_t now_ms) const {
  double weight = 0;
  ForEachEngagement(label, [&](v1::Signal signal, const Affinity& affinity) {
    weight += config.signal_weight(signal) *
              affinity.Decayed(now_ms, config.taste_half_life_ms());
  });
  return weight;
}

std::vector<const std::string*> UserPortrait::RecentEngaged(int k) const {
  std::vector<const std::string*> labels;
  for (auto it = by_recency_.begin();
       it != by_recency_.end() && static_cast<int>(labels.size()) < k; ++it) {
    labels.push_back(&it->second);
  }
  return labels;
}

const RecentShares& UserPortrait::Shares(absl::string_view prefix, int k,
                                         const RankingConfig& config) const {
  const auto find = [&]() -> const RecentShares* {
    shares_memo_->mu.AssertReaderHeld();
    for (const auto& [key, shares] : shares_memo_->entries) {
      if (key.first == prefix && key.second == k) return shares.get();
    }
    return nullptr;
  };
  {
    absl::ReaderMutexLock lock(&shares_memo_->mu);
    if (const RecentShares* found = find()) return *found;
  }
  absl::MutexLock lock(&shares_memo_->mu);
  if (const RecentShares* found = find()) return *found;
  const int64_t newest = by_recency_.empty()
                             ? std::numeric_limits<int64_t>::min()
                             : -by_recency_.begin()->first;
  shares_memo_->entries.emplace_back(
      std::make_pair(std::string(prefix), k),
      std::make_unique<RecentShares>(SharesAt(prefix, k, config, newest)));
  return *shares_memo_->entries.back().second;
}

RecentShares UserPortrait::SharesAt(absl::string_view prefix, int k,
                                    const RankingConfig& config,
                                    int64_t at_ms) const {
  RecentShares computed;
  computed.reference_ms = at_ms;
  double total = 0;
  for (const std::string* label : RecentEngaged(k)) {
    if (!absl::StartsWith(*label, prefix)) continue;
    const double weight = EngagedWeight(*label, config, at_ms);
    if (weight <= 0) continue;
    computed.shares.emplace_back(label, weight);
    total += weight;
  }
  for (auto& [label, share] : computed.shares) share /= total;
  return computed;
}

bool UserPortrait::HasRelationship(v1::Relationship relationship,
                                   absl::string_view target) const {
  for (const storage::RelationshipRecord& r : consent.relationships()) {
    if (r.relationship() == relationship && r.target_id() == target)
      return true;
  }
  return false;
}

int32_t UserPortrait::StatedBirthYear() const {
  const SignalBlock* block = Block(v1::PROFILE_ATTRIBUTES);
  return block == nullptr
             ? 0
             : block->latest_with_birth_year.attributes.birth_year();
}

}  // namespace portrait
