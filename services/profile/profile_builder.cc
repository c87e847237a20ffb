#include "services/profile/profile_builder.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "services/consent/signal_set.h"
#include "services/storage/ids.h"

namespace portrait {
namespace {

constexpr size_t kTopFeatures = 20;
constexpr size_t kTopInterests = 20;

template <typename T>
void SortByWeightThenLabel(std::vector<T>* items) {
  std::sort(items->begin(), items->end(), [](const T& a, const T& b) {
    if (a.weight() != b.weight()) return a.weight() > b.weight();
    return a.label() < b.label();
  });
}

void AddStatement(const ProfileStatement& statement, v1::FeatureBlock* out) {
  const v1::ProfileAttributesPayload& a = statement.attributes;
  std::vector<std::string> labels;
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string*>{"gender", &a.gender()},
        {"age_band", &a.age_band()},
        {"city", &a.city()},
        {"occupation", &a.occupation()}}) {
    if (!value->empty()) labels.push_back(absl::StrCat(name, ":", *value));
  }
  if (a.birth_year() != 0)
    labels.push_back(absl::StrCat("birth_year:", a.birth_year()));
  for (const std::string& hobby : a.hobbies())
    labels.push_back(absl::StrCat("hobby:", hobby));
  for (const std::string& label : labels) {
    v1::Feature* f = out->add_features();
    f->set_label(label);
    f->set_weight(1);
    f->set_events(1);
    f->set_last_ms(statement.at_ms);
  }
}

void FillBlock(const SignalBlock& block, v1::Signal signal,
               const RankingConfig& config, int64_t now_ms,
               v1::FeatureBlock* out) {
  out->set_events(block.events);
  if (signal == v1::PROFILE_ATTRIBUTES) {
    AddStatement(block.latest, out);
    return;
  }
  std::vector<v1::Feature> features;
  for (const auto& [label, affinity] : block.features) {
    v1::Feature f;
    f.set_label(label);
    f.set_weight(affinity.Decayed(now_ms, config.taste_half_life_ms()));
    f.set_events(affinity.events);
    f.set_last_ms(affinity.last_ms);
    features.push_back(std::move(f));
  }
  SortByWeightThenLabel(&features);
  if (features.size() > kTopFeatures) features.resize(kTopFeatures);
  for (v1::Feature& f : features) *out->add_features() = std::move(f);
}

// Interests: tags and brands of engaged items, and search terms.
void FillInterests(const IndexState& state, const UserPortrait& user,
                   const RankingConfig& config, int64_t now_ms,
                   v1::GetProfileResponse* out) {
  struct Entry {
    double weight = 0;
    SignalSet signals;
  };
  absl::flat_hash_map<std::string, Entry> interests;
  std::vector<std::string> engaged;
  for (const auto& [label, item] : user.engaged()) engaged.push_back(label);
  std::sort(engaged.begin(), engaged.end());
  for (const std::string& label : engaged) {
    const double weight = user.EngagedWeight(label, config, now_ms);
    const SignalSet signals = user.engaged().at(label).signals;
    std::vector<std::string> keys;
    absl::string_view kind, id;
    if (!SplitLabel(label, &kind, &id)) continue;
    if (kind == "brand") keys.push_back(label);
    if (const PostInfo* post =
            kind == "post" ? state.catalog.Post(id) : nullptr) {
      for (const std::string& tag : post->tags)
        keys.push_back(absl::StrCat("tag:", tag));
      if (!post->brand_id.empty())
        keys.push_back(absl::StrCat("brand:", post->brand_id));
    }
    for (const std::string& key : keys) {
      interests[key].weight += weight;
      interests[key].signals |= signals;
    }
  }
  if (const SignalBlock* search = user.Block(v1::SEARCH)) {
    std::vector<std::string> terms;
    for (const auto& [label, affinity] : search->features)
      terms.push_back(label);
    std::sort(terms.begin(), terms.end());
    for (const std::string& term : terms) {
      interests[term].weight += search->features.at(term).Decayed(
          now_ms, config.taste_half_life_ms());
      interests[term].signals.Add(v1::SEARCH);
    }
  }
  std::vector<v1::Interest> ranked;
  for (const auto& [label, entry] : interests) {
    v1::Interest interest;
    interest.set_label(label);
    interest.set_weight(entry.weight);
    entry.signals.ForEach([&](v1::Signal s) { interest.add_signals(s); });
    ranked.push_back(std::move(interest));
  }
  SortByWeightThenLabel(&ranked);
  if (ranked.size() > kTopInterests) ranked.resize(kTopInterests);
  for (v1::Interest& i : ranked) *out->add_top_interests() = std::move(i);
}

}  // namespace

absl::StatusOr<v1::GetProfileResponse> BuildProfile(const PortraitIndex& index,
                                                    const Clock& clock,
                                                    absl::string_view user_id) {
  PORTRAIT_RETURN_IF_ERROR(ValidateId(user_id, "user_id"));
  const int64_t now_ms = clock.NowMillis();
  return index.Read([&](const IndexState& state) {
    const UserPortrait* user = &state.UserOrEmpty(user_id);
    const ConsentView view = index.ViewOf(*user, now_ms);
    v1::GetProfileResponse response;
    response.set_user_id(std::string(user_id));
    response.set_personalized(view.PurposeEffective(v1::PERSONALIZED_FEED));
    for (int s = v1::Signal_MIN + 1; s <= v1::Signal_MAX; ++s) {
      if (!v1::Signal_IsValid(s)) continue;
      const v1::Signal signal = static_cast<v1::Signal>(s);
      const SignalView signal_view = view.Signal(signal);
      v1::FeatureBlock* block = response.add_blocks();
      block->set_signal(signal);
      block->set_state(signal_view.state);
      block->set_effective(signal_view.effective);
      if (const SignalBlock* stored = user->Block(signal)) {
        FillBlock(*stored, signal, index.config(), now_ms, block);
      }
    }
    FillInterests(state, *user, index.config(), now_ms, &response);
    return response;
  });
}

}  // namespace portrait
