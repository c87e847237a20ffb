#include "services/portrait/portrait_index.h"

#include <algorithm>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "services/consent/erasure_components.h"
#include "services/storage/keys.h"
#include "services/storage/records.h"
#include "services/storage/stored_protos.h"

namespace portrait {

namespace {

// What the catalog holds of an account: the person and the posts they
// authored.
std::vector<v1::ItemRef> ItemsOfAccount(const CatalogIndex& catalog,
                                        const std::string& user_id) {
  std::vector<v1::ItemRef> refs;
  if (catalog.Person(user_id) != nullptr) {
    v1::ItemRef& person = refs.emplace_back();
    person.set_kind(v1::ITEM_USER);
    person.set_id(user_id);
  }
  for (const auto& [neg_created, label] : catalog.PostsOfAuthor(user_id)) {
    refs.push_back(LabelRef(label));
  }
  return refs;
}

// Adds `delta` to a label's count, forgetting the label at zero.
void AddCount(absl::flat_hash_map<std::string, int32_t>& counts,
              const std::string& label, int32_t delta) {
  int32_t& count = counts[label];
  count += delta;
  if (count == 0) counts.erase(label);
}

}  // namespace

int32_t ItemInterner::Intern(const std::string& label) {
  auto [it, inserted] =
      ids_.try_emplace(label, static_cast<int32_t>(labels_.size()));
  if (inserted) {
    labels_.push_back(label);
    kinds_.push_back(LabelKind(label));
  }
  return it->second;
}

int32_t ItemInterner::Find(const std::string& label) const {
  auto it = ids_.find(label);
  return it == ids_.end() ? -1 : it->second;
}

const UserPortrait* IndexState::User(absl::string_view user_id) const {
  auto it = users.find(user_id);
  return it == users.end() ? nullptr : &it->second;
}

const UserPortrait& IndexState::UserOrEmpty(absl::string_view user_id) const {
  static const UserPortrait* const kEmpty = new UserPortrait();
  const UserPortrait* user = User(user_id);
  return user != nullptr ? *user : *kEmpty;
}

bool IndexState::ShowsPostsOf(absl::string_view author,
                              absl::string_view viewer) const {
  if (const UserPortrait* user = User(author)) {
    return !user->consent.account_deleted() &&
           !user->HasRelationship(v1::HIDE_MY_POSTS_FROM, viewer);
  }
  const auto peer = peer_people.find(author);
  if (peer == peer_people.end()) return true;
  const auto& hidden_from = peer->second.hide_posts_from();  // Sorted.
  return !peer->second.account_deleted() &&
         !std::binary_search(hidden_from.begin(), hidden_from.end(), viewer);
}

std::vector<const std::string*> IndexState::FirstFollowers(
    const std::string& label, size_t n) const {
  static const std::set<std::string>* const kNone = new std::set<std::string>;
  const auto own = followers.find(label);
  const auto peers = peer_first_followers.find(label);
  const std::set<std::string>& a =
      own == followers.end() ? *kNone : own->second;
  const std::set<std::string>& b =
      peers == peer_first_followers.end() ? *kNone : peers->second;
  // A user is on one shard only: the two sets have no id in common.
  std::vector<const std::string*> first;
  auto i = a.begin(), j = b.begin();
  while (first.size() < n && (i != a.end() || j != b.end())) {
    if (j == b.end() || (i != a.end() && *i < *j)) {
      first.push_back(&*i++);
    } else {
      first.push_back(&*j++);
    }
  }
  return first;
}

PortraitIndex::PortraitIndex(Store* store, const Clock* clock,
                             const ConsentPolicy* policy,
                             const RankingConfig* config)
    : store_(store), clock_(clock), policy_(policy), config_(config) {}

ConsentView PortraitIndex::ViewOf(const UserPortrait& user,
                                  int64_t now_ms) const {
  return ConsentView(
      *policy_, user.consent,
      IsMinorByBirthYear(user.StatedBirthYear(), policy_->minor_age(), now_ms));
}

PortraitIndex::SharedKeys PortraitIndex::KeysOf(
    const UserPortrait& user) const {
  SharedKeys keys;
  for (const auto& [label, item] : user.engaged()) keys.engaged.insert(label);
  if (const SignalBlock* follow = user.Block(v1::FOLLOW)) {
    for (const auto& [label, affinity] : follow->features)
      keys.followed.insert(label);
  }
  return keys;
}

void PortraitIndex::SyncShared(const std::string& user_id,
                               const UserPortrait& user,
                               const SharedKeys& before) {
  const SharedKeys after = KeysOf(user);
  const uint64_t stamp = ChangeStamp();
  for (const std::string& label : before.engaged) {
    if (after.engaged.count(label)) continue;
    AddCount(state_.popularity, label, -1);
    if (keep_changes_) changes_.popularity.Mark(label, stamp);
  }
  for (const std::string& label : after.engaged) {
    if (before.engaged.count(label)) continue;
    ++state_.popularity[label];
    if (keep_changes_) changes_.popularity.Mark(label, stamp);
  }
  for (const std::string& label : before.followed) {
    if (after.followed.count(label)) continue;
    auto it = state_.followers.find(label);
    if (it == state_.followers.end()) continue;
    it->second.erase(user_id);
    if (it->second.empty()) state_.followers.erase(it);
    if (keep_changes_) changes_.followers.Mark(label, stamp);
  }
  for (const std::string& label : after.followed) {
    if (state_.followers[label].insert(user_id).second) {
      if (keep_changes_) changes_.followers.Mark(label, stamp);
    }
  }
  CountsChanged();
  SyncCoSet(user_id, user);
}

void PortraitIndex::CountsChanged() {
  ++own_version_;
  absl::MutexLock lock(&cache_mu_);
  top_cache_.clear();
}

std::shared_ptr<const v1::Contribution> PortraitIndex::OwnContribution(
    int64_t reuse_ms) const {
  absl::MutexLock build(&contribution_mu_);
  const int64_t now_ms = clock_->NowMillis();
  if (contribution_ != nullptr && now_ms - contribution_built_ms_ < reuse_ms) {
    return contribution_;
  }
  if (contribution_ != nullptr) {
    absl::ReaderMutexLock lock(&mu_);
    // The counts change only with own_version_ or with what a peer's
    // contribution applied (their versions).
    bool current =
        contribution_->version() == own_version_ &&
        contribution_->applied_size() == static_cast<int>(peers_.size());
    for (const v1::AppliedContribution& applied : contribution_->applied()) {
      const auto peer = peers_.find(applied.shard());
      current &=
          peer != peers_.end() && peer->second.version == applied.version();
    }
    if (current) return contribution_;
  }
  contribution_ = std::make_shared<const v1::Contribution>(BuildContribution());
  contribution_built_ms_ = now_ms;
  return contribution_;
}

v1::Contribution PortraitIndex::BuildContribution() const {
  // Copied under the reader lock, counted and sorted outside it: writers
  // (ingest, consent changes) wait only for the copies. state_.popularity
  // and state_.co also hold the other shards' counts, so this shard's come
  // from its users' co-engagement sets and from the totals less the peers'.
  absl::btree_map<std::string, int32_t> popularity, followers;
  absl::btree_map<std::string, std::vector<std::string>> first_followers;
  std::vector<std::vector<int32_t>> sets;
  std::vector<std::string> labels;
  std::vector<v1::PersonSettings> people;
  v1::Contribution out;
  {
    absl::ReaderMutexLock lock(&mu_);
    out.set_version(own_version_);
    for (const auto& [label, count] : state_.popularity) {
      popularity[label] = count;
    }
    absl::btree_map<std::string, uint64_t> applied;
    for (const auto& [shard, counts] : peers_) {
      applied[shard] = counts.version;
      for (const auto& [label, count] : counts.popularity) {
        popularity[label] -= count;
      }
    }
    for (const auto& [shard, version] : applied) {
      v1::AppliedContribution* entry = out.add_applied();
      entry->set_shard(shard);
      entry->set_version(version);
    }
    const size_t first = config_->proto().candidates_per_source();
    for (const auto& [label, users] : state_.followers) {
      followers[label] = static_cast<int32_t>(users.size());
      auto end = users.begin();
      std::advance(end, std::min(first, users.size()));
      first_followers[label].assign(users.begin(), end);
    }
    const int64_t now_ms = clock_->NowMillis();
    for (const auto& [id, user] : state_.users) {
      if (std::optional<v1::PersonSettings> settings =
              SettingsOf(id, user, now_ms)) {
        people.push_back(*std::move(settings));
      }
    }
    sets.reserve(state_.co_sets.size());
    int32_t items = 0;
    for (const auto& [id, set] : state_.co_sets) {
      sets.push_back(set);
      for (int32_t item : set) items = std::max(items, item + 1);
    }
    labels.reserve(items);
    for (int32_t item = 0; item < items; ++item) {
      labels.push_back(state_.items.Label(item));
    }
  }
  for (const auto& [label, count] : popularity) {
    if (count == 0) continue;  // Only the peers' users engaged with it.
    v1::LabelCount* entry = out.add_popularity();
    entry->set_label(label);
    entry->set_count(count);
  }
  for (const auto& [label, count] : followers) {
    v1::LabelCount* entry = out.add_followers();
    entry->set_label(label);
    entry->set_count(count);
  }
  for (auto& [label, users] : first_followers) {
    v1::LabelUsers* entry = out.add_first_followers();
    entry->set_label(label);
    for (std::string& user : users) entry->add_user_ids(std::move(user));
  }
  std::sort(people.begin(), people.end(), [](const auto& a, const auto& b) {
    return a.user_id() < b.user_id();
  });
  for (v1::PersonSettings& settings : people) {
    *out.add_people() = std::move(settings);
  }
  // Co-engagement by id (a pair: its ids in label order, packed), labelled
  // only when written out: a shard's pairs run to millions.
  absl::flat_hash_map<int32_t, int32_t> co_items;
  absl::flat_hash_map<uint64_t, int32_t> co_pairs;
  for (const std::vector<int32_t>& set : sets) {
    for (size_t i = 0; i < set.size(); ++i) {
      ++co_items[set[i]];
      for (size_t j = i + 1; j < set.size(); ++j) {
        const bool in_order = labels[set[i]] < labels[set[j]];
        const uint32_t a = in_order ? set[i] : set[j];
        const uint32_t b = in_order ? set[j] : set[i];
        ++co_pairs[uint64_t{a} << 32 | b];
      }
    }
  }
  std::vector<std::pair<int32_t, int32_t>> by_item(co_items.begin(),
                                                   co_items.end());
  std::sort(by_item.begin(), by_item.end(), [&](const auto& x, const auto& y) {
    return labels[x.first] < labels[y.first];
  });
  for (const auto& [item, count] : by_item) {
    v1::LabelCount* entry = out.add_co_items();
    entry->set_label(labels[item]);
    entry->set_count(count);
  }
  const auto first = [](uint64_t pair) { return pair >> 32; };
  const auto second = [](uint64_t pair) { return pair & 0xffffffff; };
  std::vector<std::pair<uint64_t, int32_t>> by_pair(co_pairs.begin(),
                                                    co_pairs.end());
  std::sort(by_pair.begin(), by_pair.end(), [&](const auto& x, const auto& y) {
    const std::string& xa = labels[first(x.first)];
    const std::string& ya = labels[first(y.first)];
    if (xa != ya) return xa < ya;
    return labels[second(x.first)] < labels[second(y.first)];
  });
  out.mutable_co_pairs()->Reserve(static_cast<int>(by_pair.size()));
  for (const auto& [pair, count] : by_pair) {
    v1::PairCount* entry = out.add_co_pairs();
    entry->set_a(labels[first(pair)]);
    entry->set_b(labels[second(pair)]);
    entry->set_count(count);
  }
  return out;
}

std::optional<v1::PersonSettings> PortraitIndex::SettingsOf(
    const std::string& user_id, const UserPortrait& user,
    int64_t now_ms) const {
  v1::PersonSettings settings;
  settings.set_account_deleted(user.consent.account_deleted());
  settings.set_not_exposed(
      !ViewOf(user, now_ms).PurposeEffective(v1::PEOPLE_YOU_MAY_KNOW_EXPOSURE));
  // The record keeps them sorted by (relationship, target): each list comes
  // out sorted.
  for (const storage::RelationshipRecord& r : user.consent.relationships()) {
    if (r.relationship() == v1::HIDE_MY_POSTS_FROM) {
      settings.add_hide_posts_from(r.target_id());
    } else if (r.relationship() == v1::BLACKLIST_USER) {
      settings.add_blacklisted(r.target_id());
    }
  }
  if (!settings.account_deleted() && !settings.not_exposed() &&
      settings.hide_posts_from().empty() && settings.blacklisted().empty()) {
    return std::nullopt;
  }
  settings.set_user_id(user_id);
  return settings;
}

void PortraitIndex::KeepChangeLog() {
  absl::MutexLock lock(&mu_);
  keep_changes_ = true;
  // Nothing before now was logged.
  changes_floor_ = std::max(changes_floor_, own_version_);
}

void PortraitIndex::TrimOwnChanges(uint64_t served) {
  absl::MutexLock lock(&mu_);
  if (served <= changes_floor_) return;
  changes_floor_ = served;
  changes_.popularity.TrimThrough(served);
  changes_.followers.TrimThrough(served);
  changes_.people.TrimThrough(served);
  changes_.co_items.TrimThrough(served);
  changes_.co_pairs.TrimThrough(served);
}

size_t PortraitIndex::OwnChangesLogged() const {
  absl::ReaderMutexLock lock(&mu_);
  return changes_.popularity.size() + changes_.followers.size() +
         changes_.people.size() + changes_.co_items.size() +
         changes_.co_pairs.size();
}

std::optional<v1::Contribution> PortraitIndex::OwnChangesSince(
    uint64_t since) const {
  absl::ReaderMutexLock lock(&mu_);
  if (!keep_changes_ || since == 0 || since > own_version_ ||
      since < changes_floor_) {
    return std::nullopt;
  }
  v1::Contribution out;
  out.set_version(own_version_);
  out.set_since(since);
  for (const auto& [shard, counts] : peers_) {
    v1::AppliedContribution* entry = out.add_applied();
    entry->set_shard(shard);
    entry->set_version(counts.version);
  }
  std::sort(out.mutable_applied()->begin(), out.mutable_applied()->end(),
            [](const auto& a, const auto& b) { return a.shard() < b.shard(); });
  // This shard's own counts of popularity and co-engagement: the totals
  // less every peer's.
  changes_.popularity.ForEachSince(since, [&](const std::string& label) {
    mu_.AssertReaderHeld();
    const auto total = state_.popularity.find(label);
    int32_t count = total == state_.popularity.end() ? 0 : total->second;
    for (const auto& [shard, counts] : peers_) {
      const auto peer = counts.popularity.find(label);
      if (peer != counts.popularity.end()) count -= peer->second;
    }
    v1::LabelCount* entry = out.add_popularity();
    entry->set_label(label);
    entry->set_count(count);
  });
  const size_t first = config_->proto().candidates_per_source();
  changes_.followers.ForEachSince(since, [&](const std::string& label) {
    mu_.AssertReaderHeld();
    v1::LabelCount* count = out.add_followers();
    count->set_label(label);
    v1::LabelUsers* users = out.add_first_followers();
    users->set_label(label);
    const auto followers = state_.followers.find(label);
    if (followers == state_.followers.end()) return;
    count->set_count(static_cast<int32_t>(followers->second.size()));
    for (const std::string& user : followers->second) {
      if (static_cast<size_t>(users->user_ids_size()) == first) break;
      users->add_user_ids(user);
    }
  });
  changes_.co_items.ForEachSince(since, [&](int32_t item) {
    mu_.AssertReaderHeld();
    int32_t count = state_.co.Count(item);
    for (const auto& [shard, counts] : peers_) {
      const auto peer = counts.co_items.find(item);
      if (peer != counts.co_items.end()) count -= peer->second;
    }
    v1::LabelCount* entry = out.add_co_items();
    entry->set_label(state_.items.Label(item));
    entry->set_count(count);
  });
  changes_.co_pairs.ForEachSince(since, [&](uint64_t pair) {
    mu_.AssertReaderHeld();
    const int32_t a = static_cast<int32_t>(pair >> 32);
    const int32_t b = static_cast<int32_t>(pair & 0xffffffff);
    int32_t count = state_.co.Count(a, b);
    for (const auto& [shard, counts] : peers_) {
      const auto peer = counts.co_pairs.find(pair);
      if (peer != counts.co_pairs.end()) count -= peer->second;
    }
    const std::string& label_a = state_.items.Label(a);
    const std::string& label_b = state_.items.Label(b);
    v1::PairCount* entry = out.add_co_pairs();
    entry->set_a(std::min(label_a, label_b));
    entry->set_b(std::max(label_a, label_b));
    entry->set_count(count);
  });
  const int64_t now_ms = clock_->NowMillis();
  changes_.people.ForEachSince(since, [&](const std::string& user_id) {
    mu_.AssertReaderHeld();
    const UserPortrait* user = state_.User(user_id);
    std::optional<v1::PersonSettings> settings =
        user == nullptr ? std::nullopt : SettingsOf(user_id, *user, now_ms);
    if (settings.has_value()) {
      *out.add_people() = *std::move(settings);
    } else {
      out.add_people_cleared(user_id);
    }
  });
  return out;
}

uint64_t PortraitIndex::OwnVersion() const {
  absl::ReaderMutexLock lock(&mu_);
  return own_version_;
}

absl::Status PortraitIndex::ApplyContribution(
    const v1::Contribution& contribution) {
  absl::MutexLock lock(&mu_);
  if (contribution.since() != 0) return ApplyDelta(contribution);
  PeerCounts next;
  next.version = contribution.version();
  for (const v1::LabelCount& entry : contribution.popularity())
    next.popularity[entry.label()] += entry.count();
  for (const v1::LabelCount& entry : contribution.co_items())
    next.co_items[state_.items.Intern(entry.label())] += entry.count();
  for (const v1::PairCount& entry : contribution.co_pairs()) {
    const uint32_t a = state_.items.Intern(entry.a());
    const uint32_t b = state_.items.Intern(entry.b());
    next.co_pairs[a < b ? uint64_t{a} << 32 | b : uint64_t{b} << 32 | a] +=
        entry.count();
  }
  for (const v1::LabelCount& entry : contribution.followers())
    next.followers[entry.label()] += entry.count();
  for (const v1::LabelUsers& entry : contribution.first_followers()) {
    next.first_followers[entry.label()].assign(entry.user_ids().begin(),
                                               entry.user_ids().end());
  }
  PeerCounts& previous = peers_[contribution.shard()];
  // The difference of two label -> count maps, applied by `add`.
  const auto apply = [](const auto& before, const auto& after, auto add) {
    bool changed = false;
    for (const auto& [key, count] : after) {
      const auto old = before.find(key);
      const int32_t delta = count - (old == before.end() ? 0 : old->second);
      if (delta != 0) add(key, delta), changed = true;
    }
    for (const auto& [key, count] : before) {
      if (!after.contains(key)) add(key, -count), changed = true;
    }
    return changed;
  };
  mu_.AssertHeld();
  bool changed = apply(previous.popularity, next.popularity,
                       [&](const std::string& label, int32_t delta) {
                         mu_.AssertHeld();
                         AddCount(state_.popularity, label, delta);
                       });
  changed |= apply(previous.followers, next.followers,
                   [&](const std::string& label, int32_t delta) {
                     mu_.AssertHeld();
                     AddCount(state_.peer_followers, label, delta);
                   });
  changed |=
      apply(previous.co_items, next.co_items, [&](int32_t item, int32_t delta) {
        mu_.AssertHeld();
        state_.co.AddItem(item, delta);
      });
  changed |= apply(
      previous.co_pairs, next.co_pairs, [&](uint64_t pair, int32_t delta) {
        mu_.AssertHeld();
        state_.co.AddPair(static_cast<int32_t>(pair >> 32),
                          static_cast<int32_t>(pair & 0xffffffff), delta);
      });
  // A user is on one shard only: the peer's entries are its own to replace.
  if (previous.first_followers != next.first_followers) {
    for (const auto& [label, users] : previous.first_followers) {
      auto& all = state_.peer_first_followers[label];
      for (const std::string& user : users) all.erase(user);
      if (all.empty()) state_.peer_first_followers.erase(label);
    }
    for (const auto& [label, users] : next.first_followers) {
      state_.peer_first_followers[label].insert(users.begin(), users.end());
    }
  }
  for (const std::string& id : previous.people) state_.peer_people.erase(id);
  for (const v1::PersonSettings& settings : contribution.people()) {
    next.people.insert(settings.user_id());
    state_.peer_people[settings.user_id()] = settings;
  }
  ++state_.generation;
  previous = std::move(next);
  if (changed) {
    absl::MutexLock cache_lock(&cache_mu_);
    top_cache_.clear();
    neighbour_cache_.clear();
  }
  return absl::OkStatus();
}

absl::Status PortraitIndex::ApplyDelta(const v1::Contribution& delta) {
  const auto found = peers_.find(delta.shard());
  if (found == peers_.end() || found->second.version < delta.since()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "a delta of shard ", delta.shard(), " since version ", delta.since(),
        ", but this shard serves version ",
        found == peers_.end() ? 0 : found->second.version, " of it"));
  }
  PeerCounts& previous = found->second;
  // Sets one entry of the peer's counts to `count`, adding the difference
  // to the totals with `add`.
  bool changed = false;
  const auto set = [&changed](auto& counts, const auto& key, int32_t count,
                              auto add) {
    const auto old = counts.find(key);
    const int32_t delta = count - (old == counts.end() ? 0 : old->second);
    if (delta == 0) return;
    add(delta);
    changed = true;
    if (count == 0) {
      counts.erase(old);
    } else {
      counts[key] = count;
    }
  };
  for (const v1::LabelCount& entry : delta.popularity()) {
    set(previous.popularity, entry.label(), entry.count(), [&](int32_t d) {
      mu_.AssertHeld();
      AddCount(state_.popularity, entry.label(), d);
    });
  }
  for (const v1::LabelCount& entry : delta.followers()) {
    set(previous.followers, entry.label(), entry.count(), [&](int32_t d) {
      mu_.AssertHeld();
      AddCount(state_.peer_followers, entry.label(), d);
    });
  }
  for (const v1::LabelCount& entry : delta.co_items()) {
    const int32_t item = state_.items.Intern(entry.label());
    set(previous.co_items, item, entry.count(), [&](int32_t d) {
      mu_.AssertHeld();
      state_.co.AddItem(item, d);
    });
  }
  for (const v1::PairCount& entry : delta.co_pairs()) {
    const uint32_t a = state_.items.Intern(entry.a());
    const uint32_t b = state_.items.Intern(entry.b());
    const uint64_t pair = a < b ? uint64_t{a} << 32 | b : uint64_t{b} << 32 | a;
    set(previous.co_pairs, pair, entry.count(), [&](int32_t d) {
      mu_.AssertHeld();
      state_.co.AddPair(static_cast<int32_t>(pair >> 32),
                        static_cast<int32_t>(pair & 0xffffffff), d);
    });
  }
  for (const v1::LabelUsers& entry : delta.first_followers()) {
    // A user is on one shard only: the peer's entries are its own.
    auto& first = previous.first_followers[entry.label()];
    auto all = state_.peer_first_followers.find(entry.label());
    if (all != state_.peer_first_followers.end()) {
      for (const std::string& user : first) all->second.erase(user);
      if (all->second.empty()) state_.peer_first_followers.erase(all);
    }
    first.assign(entry.user_ids().begin(), entry.user_ids().end());
    if (first.empty()) {
      previous.first_followers.erase(entry.label());
    } else {
      state_.peer_first_followers[entry.label()].insert(first.begin(),
                                                        first.end());
    }
  }
  for (const std::string& id : delta.people_cleared()) {
    state_.peer_people.erase(id);
    previous.people.erase(id);
  }
  for (const v1::PersonSettings& settings : delta.people()) {
    previous.people.insert(settings.user_id());
    state_.peer_people[settings.user_id()] = settings;
  }
  previous.version = delta.version();
  ++state_.generation;
  if (changed) {
    absl::MutexLock cache_lock(&cache_mu_);
    top_cache_.clear();
    neighbour_cache_.clear();
  }
  return absl::OkStatus();
}

void PortraitIndex::SyncCoSet(const std::string& user_id,
                              const UserPortrait& user) {
  std::vector<int32_t> ids;
  for (const std::string* label :
       user.RecentEngaged(config_->proto().co_set_size())) {
    ids.push_back(state_.items.Intern(*label));
  }
  std::sort(ids.begin(), ids.end());
  std::vector<int32_t>& current = state_.co_sets[user_id];
  if (ids == current) {
    if (ids.empty()) state_.co_sets.erase(user_id);
    return;
  }
  state_.co.Replace(current, ids);
  // The items that joined or left the set, and every pair with one of them.
  const uint64_t stamp = ChangeStamp();
  const auto mark = [&](const std::vector<int32_t>& set,
                        const std::vector<int32_t>& other) {
    mu_.AssertHeld();
    for (size_t i = 0; i < set.size(); ++i) {
      const bool moved_i =
          !std::binary_search(other.begin(), other.end(), set[i]);
      if (moved_i) changes_.co_items.Mark(set[i], stamp);
      for (size_t j = i + 1; j < set.size(); ++j) {
        if (!moved_i &&
            std::binary_search(other.begin(), other.end(), set[j])) {
          continue;
        }
        // Sorted: set[i] < set[j].
        changes_.co_pairs.Mark(
            uint64_t(uint32_t(set[i])) << 32 | uint32_t(set[j]), stamp);
      }
    }
  };
  if (keep_changes_) {
    mark(current, ids);
    mark(ids, current);
  }
  ++own_version_;
  {
    // Similarities depend on every item's count: any change stales them all.
    absl::MutexLock lock(&cache_mu_);
    neighbour_cache_.clear();
  }
  if (ids.empty()) {
    state_.co_sets.erase(user_id);
  } else {
    current = std::move(ids);
  }
}

void PortraitIndex::AddToUser(const std::string& user_id, UserPortrait& user,
                              const v1::Event& event) {
  std::string label;
  bool was_engaged = true;
  if (event.has_target()) {
    label = ItemLabel(event.target());
    was_engaged = user.engaged().contains(label);
  }
  user.Add(event, *config_);
  if (label.empty()) return;
  if (!was_engaged && user.engaged().contains(label)) {
    ++state_.popularity[label];
    if (keep_changes_) changes_.popularity.Mark(label, ChangeStamp());
    counts_changed_ = true;
  }
  if (event.signal() == v1::FOLLOW &&
      state_.followers[label].insert(user_id).second) {
    if (keep_changes_) changes_.followers.Mark(label, ChangeStamp());
    counts_changed_ = true;
  }
}

absl::Status PortraitIndex::OnEventsStored(
    const std::vector<const v1::Event*>& events) {
  // A self-description can change who is a minor, and so which sensitive
  // blocks a reconcile rebuilds: read those from the store first.
  absl::flat_hash_map<std::string, StoredEvents> stored;
  for (const v1::Event* event : events) {
    if (event->signal() != v1::PROFILE_ATTRIBUTES) continue;
    auto [it, inserted] = stored.try_emplace(event->user_id());
    if (!inserted) continue;
    PORTRAIT_RETURN_IF_ERROR(
        ReadSignals(event->user_id(),
                    RebuildCandidates(event->user_id(), nullptr), &it->second));
  }
  std::vector<std::pair<std::string, SignalSet>> unfinished;
  {
    absl::MutexLock lock(&mu_);
    ++state_.generation;
    // Users in first-seen order.
    std::vector<std::string> touched;
    absl::flat_hash_set<std::string> seen;
    for (const v1::Event* event : events) {
      if (seen.insert(event->user_id()).second)
        touched.push_back(event->user_id());
      AddToUser(event->user_id(), state_.users[event->user_id()], *event);
    }
    if (counts_changed_) {
      CountsChanged();
      counts_changed_ = false;
    }
    // A self-description can make a user a minor, which can change the
    // settings other shards honour (SettingsOf).
    if (!stored.empty()) ++own_version_;
    for (const auto& [user_id, events] : stored) {
      if (keep_changes_) changes_.people.Mark(user_id, ChangeStamp());
    }
    for (const std::string& user_id : touched) {
      UserPortrait& user = state_.users[user_id];
      SyncCoSet(user_id, user);
      auto it = stored.find(user_id);
      if (it == stored.end()) continue;
      SignalSet missing;
      Reconcile(user_id, user, it->second, &missing);
      if (!missing.empty()) unfinished.emplace_back(user_id, missing);
    }
  }
  for (auto& [user_id, missing] : unfinished) {
    PORTRAIT_RETURN_IF_ERROR(
        FinishReconcile(user_id, missing, std::move(stored[user_id])));
  }
  return absl::OkStatus();
}

absl::Status PortraitIndex::OnConsentCommitted(
    const std::string& user_id, const storage::ConsentRecord& record,
    const v1::ErasureReceipt& receipt) {
  // The signal of a DeleteRecord or a retention sweep is rebuilt from the
  // events still stored: the block and every shared count then hold exactly
  // what they would had the erased events never arrived.
  SignalSet edited;
  for (const v1::ErasureComponent& c : receipt.components()) {
    if (c.component() == erasure::kPortrait &&
        (!c.event_id().empty() || c.before_ms() > 0)) {
      edited.Add(c.signal());
    }
  }
  SignalSet rebuild = RebuildCandidates(user_id, &record);
  rebuild |= edited;
  StoredEvents stored;
  PORTRAIT_RETURN_IF_ERROR(ReadSignals(user_id, rebuild, &stored));
  SignalSet missing;
  {
    absl::MutexLock lock(&mu_);
    ++state_.generation;
    ++own_version_;  // The user's settings for other shards may change.
    if (keep_changes_) changes_.people.Mark(user_id, ChangeStamp());
    UserPortrait& user = state_.users[user_id];
    user.consent = record;
    user.needs_rebuild |= edited;
    if (record.account_deleted()) {
      for (const v1::ItemRef& ref : ItemsOfAccount(state_.catalog, user_id)) {
        state_.catalog.Delete(ref);
      }
    }
    for (const v1::ErasureComponent& c : receipt.components()) {
      if (c.component() == erasure::kTrainedModel && c.state() == v1::PENDING) {
        state_.model_pending.insert(receipt.receipt_id());
      }
    }
    Reconcile(user_id, user, stored, &missing);
  }
  return FinishReconcile(user_id, missing, std::move(stored));
}

SignalSet PortraitIndex::RebuildCandidates(
    const std::string& user_id, const storage::ConsentRecord* record) const {
  absl::ReaderMutexLock lock(&mu_);
  const UserPortrait* user = state_.User(user_id);
  if (user == nullptr) return SignalSet();
  if (record == nullptr) record = &user->consent;
  // Whether the user is a minor can change during the reconcile (it depends
  // on a block the reconcile may drop or rebuild): take either answer.
  const ConsentView as_adult(*policy_, *record, /*minor_by_stated_age=*/false);
  const ConsentView as_minor(*policy_, *record, /*minor_by_stated_age=*/true);
  SignalSet candidates;
  for (int s = v1::Signal_MIN + 1; s <= v1::Signal_MAX; ++s) {
    const v1::Signal signal = static_cast<v1::Signal>(s);
    if (!v1::Signal_IsValid(s) || !user->needs_rebuild.Contains(signal)) {
      continue;
    }
    if (as_adult.Signal(signal).effective ||
        as_minor.Signal(signal).effective) {
      candidates.Add(signal);
    }
  }
  return candidates;
}

absl::Status PortraitIndex::ReadSignals(const std::string& user_id,
                                        SignalSet signals,
                                        StoredEvents* stored) const {
  for (int s = v1::Signal_MIN + 1; s <= v1::Signal_MAX; ++s) {
    const v1::Signal signal = static_cast<v1::Signal>(s);
    if (!signals.Contains(signal) || stored->contains(signal)) continue;
    const std::string begin = UserSignalPrefix(user_id, signal);
    std::vector<v1::Event> events;
    PORTRAIT_RETURN_IF_ERROR(ScanProtos<storage::EventRecord>(
        store_, Column::kEvents, begin, PrefixEnd(begin),
        absl::StrCat("a stored event of ", user_id),
        [&](absl::string_view, const storage::EventRecord& record) {
          events.push_back(FromRecord(record));
          return true;
        }));
    (*stored)[signal] = std::move(events);
  }
  return absl::OkStatus();
}

absl::Status PortraitIndex::FinishReconcile(const std::string& user_id,
                                            SignalSet missing,
                                            StoredEvents stored) {
  // Each round reads at least one more signal, so this ends.
  while (!missing.empty()) {
    PORTRAIT_RETURN_IF_ERROR(ReadSignals(user_id, missing, &stored));
    missing = SignalSet();
    absl::MutexLock lock(&mu_);
    ++state_.generation;
    Reconcile(user_id, state_.users[user_id], stored, &missing);
  }
  return absl::OkStatus();
}

void PortraitIndex::AddToCommit(const RevocationCommit& commit,
                                WriteBatch* batch) {
  if (!commit.account_deletion) return;
  absl::ReaderMutexLock lock(&mu_);
  for (const v1::ItemRef& ref :
       ItemsOfAccount(state_.catalog, commit.user_id)) {
    batch->Delete(Column::kCatalog, CatalogKey(ref.kind(), ref.id()));
  }
}

std::vector<ErasureDuty> PortraitIndex::Duties() const {
  return {{erasure::kPortrait},
          {erasure::kCoEngagement},
          {erasure::kPopularity},
          {erasure::kFollowers}};
}

void PortraitIndex::ForgetCovered(const std::vector<std::string>& receipt_ids) {
  absl::MutexLock lock(&mu_);
  for (const std::string& id : receipt_ids) state_.model_pending.erase(id);
}

void PortraitIndex::Reconcile(const std::string& user_id, UserPortrait& user,
                              const StoredEvents& stored, SignalSet* missing) {
  // Two passes: the PROFILE_ATTRIBUTES block decides who is a minor, which
  // decides whether sensitive blocks are effective.
  for (int pass = 0; pass < 2; ++pass) {
    const ConsentView view = ViewOf(user, clock_->NowMillis());
    for (int s = v1::Signal_MIN + 1; s <= v1::Signal_MAX; ++s) {
      if (!v1::Signal_IsValid(s)) continue;
      const v1::Signal signal = static_cast<v1::Signal>(s);
      const bool effective = view.Signal(signal).effective;
      if (!effective) {
        user.needs_rebuild.Add(signal);
        missing->Remove(signal);
        if (user.Block(signal) != nullptr) {
          const SharedKeys before = KeysOf(user);
          user.Drop(signal, *config_);
          SyncShared(user_id, user, before);
        }
      } else if (user.needs_rebuild.Contains(signal)) {
        auto events = stored.find(signal);
        if (events == stored.end()) {
          missing->Add(signal);  // Left out (absent) until read.
          continue;
        }
        // Replaces whatever the block holds: the stored events are all of it.
        const SharedKeys before = KeysOf(user);
        user.Drop(signal, *config_);
        for (const v1::Event& event : events->second) user.Add(event, *config_);
        SyncShared(user_id, user, before);
        user.needs_rebuild.Remove(signal);
        missing->Remove(signal);
      }
    }
  }
}

void PortraitIndex::OnItemsUpserted(
    const google::protobuf::RepeatedPtrField<v1::Item>& items) {
  absl::MutexLock lock(&mu_);
  ++state_.generation;
  for (const v1::Item& item : items) state_.catalog.Upsert(item);
}

std::vector<v1::ItemRef> PortraitIndex::CatalogOfDeletedPeers() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<v1::ItemRef> refs;
  for (const auto& [user_id, settings] : state_.peer_people) {
    if (!settings.account_deleted()) continue;
    for (v1::ItemRef& ref : ItemsOfAccount(state_.catalog, user_id)) {
      refs.push_back(std::move(ref));
    }
  }
  return refs;
}

bool PortraitIndex::PeerAccountDeleted(absl::string_view user_id) const {
  absl::ReaderMutexLock lock(&mu_);
  const auto it = state_.peer_people.find(user_id);
  return it != state_.peer_people.end() && it->second.account_deleted();
}

void PortraitIndex::OnItemsDeleted(
    const google::protobuf::RepeatedPtrField<v1::ItemRef>& refs) {
  absl::MutexLock lock(&mu_);
  ++state_.generation;
  for (const v1::ItemRef& ref : refs) state_.catalog.Delete(ref);
}

std::vector<const PortraitIndex::Neighbours*> PortraitIndex::NearestNeighbours(
    const IndexState& state, absl::Span<const int32_t> items) const {
  std::vector<const Neighbours*> lists(items.size(), nullptr);
  {
    absl::ReaderMutexLock lock(&cache_mu_);
    for (size_t i = 0; i < items.size(); ++i) {
      auto it = neighbour_cache_.find(items[i]);
      if (it != neighbour_cache_.end()) lists[i] = it->second.get();
    }
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (lists[i] == nullptr) lists[i] = ComputeNeighbours(state, items[i]);
  }
  // The caller scans every list next. Asking for all of them now lets their
  // cache misses overlap instead of waiting for each in turn.
  for (const Neighbours* list : lists) {
    const char* begin = reinterpret_cast<const char*>(list->data());
    const char* end =
        reinterpret_cast<const char*>(list->data() + list->size());
    for (const char* line = begin; line < end; line += 64) {
      __builtin_prefetch(line);
    }
  }
  return lists;
}

const PortraitIndex::Neighbours* PortraitIndex::ComputeNeighbours(
    const IndexState& state, int32_t item) const {
  const size_t n = config_->proto().neighbours_per_item();
  // First the strongest 4n by count, then the n most similar of those.
  std::vector<std::pair<int32_t, int32_t>> by_count;  // (count, id)
  for (const auto& [id, count] : state.co.NeighboursOf(item)) {
    by_count.emplace_back(count, id);
  }
  const size_t pool = std::min(by_count.size(), 4 * n);
  std::partial_sort(by_count.begin(), by_count.begin() + pool, by_count.end(),
                    [&](const auto& a, const auto& b) {
                      if (a.first != b.first) return a.first > b.first;
                      return state.items.Label(a.second) <
                             state.items.Label(b.second);
                    });
  auto nearest = std::make_unique<Neighbours>();
  for (size_t i = 0; i < pool; ++i) {
    const int32_t id = by_count[i].second;
    nearest->push_back(
        {id, state.items.Kind(id), state.co.Similarity(item, id)});
  }
  std::sort(nearest->begin(), nearest->end(),
            [&](const Neighbour& a, const Neighbour& b) {
              if (a.similarity != b.similarity)
                return a.similarity > b.similarity;
              return state.items.Label(a.item) < state.items.Label(b.item);
            });
  if (nearest->size() > n) nearest->resize(n);
  // A quarter of the pool's capacity: more items' lists stay in cache.
  nearest->shrink_to_fit();
  absl::MutexLock lock(&cache_mu_);
  // Never replaces a list another reader stored: its readers may hold it.
  return neighbour_cache_.try_emplace(item, std::move(nearest))
      .first->second.get();
}

std::shared_ptr<const PortraitIndex::Counted> PortraitIndex::TopByCount(
    const IndexState& state, absl::string_view kind, int n) const {
  const std::string prefix = absl::StrCat(kind, ":");
  {
    absl::ReaderMutexLock lock(&cache_mu_);
    auto it = top_cache_.find(std::make_pair(prefix, n));
    if (it != top_cache_.end()) return it->second;
  }
  auto all = std::make_shared<Counted>();
  if (kind == "post") {
    for (const auto& [label, count] : state.popularity) {
      if (absl::StartsWith(label, prefix)) all->emplace_back(label, count);
    }
  } else {
    // This shard's followers, and the other shards' counts of theirs.
    for (const auto& [label, users] : state.followers) {
      if (!absl::StartsWith(label, prefix)) continue;
      const auto peers = state.peer_followers.find(label);
      all->emplace_back(
          label, static_cast<int32_t>(users.size()) +
                     (peers == state.peer_followers.end() ? 0 : peers->second));
    }
    for (const auto& [label, count] : state.peer_followers) {
      if (absl::StartsWith(label, prefix) && !state.followers.contains(label))
        all->emplace_back(label, count);
    }
  }
  auto better = [](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return a.first < b.first;
  };
  const size_t keep = std::min(all->size(), static_cast<size_t>(n));
  std::partial_sort(all->begin(), all->begin() + keep, all->end(), better);
  all->resize(keep);
  absl::MutexLock lock(&cache_mu_);
  top_cache_[std::make_pair(prefix, n)] = all;
  return all;
}

absl::Status PortraitIndex::Load() {
  absl::MutexLock lock(&mu_);
  PORTRAIT_RETURN_IF_ERROR(LoadCatalog());
  PORTRAIT_RETURN_IF_ERROR(LoadConsents());
  PORTRAIT_RETURN_IF_ERROR(LoadPendingModels());
  return LoadEvents();
}

absl::Status PortraitIndex::LoadPendingModels() {
  const std::string begin(kPendingModelPrefix);
  return store_->Scan(
      Column::kMeta, begin, PrefixEnd(begin),
      [&](absl::string_view key, absl::string_view) {
        mu_.AssertHeld();
        state_.model_pending.insert(std::string(key.substr(begin.size())));
        return true;
      });
}

absl::Status PortraitIndex::LoadCatalog() {
  return ScanProtos<storage::ItemRecord>(
      store_, Column::kCatalog, "", "", "a catalog item",
      [&](absl::string_view, const storage::ItemRecord& record) {
        mu_.AssertHeld();
        state_.catalog.Upsert(FromRecord(record));
        return true;
      });
}

absl::Status PortraitIndex::LoadConsents() {
  bool parsed = true;
  PORTRAIT_RETURN_IF_ERROR(
      store_->Scan(Column::kConsent, "", "",
                   [&](absl::string_view key, absl::string_view value) {
                     const size_t end_of_user = key.find('\0');
                     if (end_of_user == absl::string_view::npos ||
                         key.substr(end_of_user + 1) != "s") {
                       return true;  // A request record or a receipt.
                     }
                     const std::string user_id(key.substr(0, end_of_user));
                     mu_.AssertHeld();
                     parsed = state_.users[user_id].consent.ParseFromArray(
                         value.data(), static_cast<int>(value.size()));
                     return parsed;
                   }));
  return parsed ? absl::OkStatus()
                : absl::DataLossError("a consent record does not parse");
}

absl::Status PortraitIndex::LoadEvents() {
  std::string current_user;
  std::vector<v1::Event> events;
  PORTRAIT_RETURN_IF_ERROR(ScanProtos<storage::EventRecord>(
      store_, Column::kEvents, "", "", "a stored event",
      [&](absl::string_view key, const storage::EventRecord& record) {
        mu_.AssertHeld();
        const absl::string_view user = key.substr(0, key.find('\0'));
        if (user != current_user) {
          if (!events.empty()) LoadUser(current_user, events);
          events.clear();
          current_user = std::string(user);
        }
        events.push_back(FromRecord(record));
        return true;
      }));
  if (!events.empty()) LoadUser(current_user, events);
  return absl::OkStatus();
}

void PortraitIndex::LoadUser(const std::string& user_id,
                             const std::vector<v1::Event>& events) {
  UserPortrait& user = state_.users[user_id];
  const SharedKeys before = KeysOf(user);
  const int64_t now_ms = clock_->NowMillis();
  // The self-description first: it decides who is a minor.
  if (ConsentView(*policy_, user.consent, false)
          .Signal(v1::PROFILE_ATTRIBUTES)
          .effective) {
    for (const v1::Event& event : events) {
      if (event.signal() == v1::PROFILE_ATTRIBUTES) user.Add(event, *config_);
    }
  }
  const ConsentView view = ViewOf(user, now_ms);
  for (const v1::Event& event : events) {
    const bool effective = view.Signal(event.signal()).effective;
    if (!effective) user.needs_rebuild.Add(event.signal());
    if (event.signal() != v1::PROFILE_ATTRIBUTES && effective) {
      user.Add(event, *config_);
    }
  }
  SyncShared(user_id, user, before);
}

}  // namespace portrait
