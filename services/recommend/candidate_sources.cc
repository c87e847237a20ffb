#include "services/recommend/candidate_sources.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "models/features.h"
#include "services/storage/ids.h"

namespace portrait {
namespace {

using Ranked = std::vector<std::pair<std::string, double>>;

// Keeps the `n` best of `items` by `better`, in no particular order.
template <typename T, typename Better>
void KeepBest(std::vector<T>* items, size_t n, Better better) {
  if (items->size() <= n) return;
  std::nth_element(items->begin(), items->begin() + n, items->end(), better);
  items->resize(n);
}

// Keeps the `n` best (label, weight) by weight descending, ties by label, in
// that order.
void RankAndKeep(Ranked* ranked, size_t n) {
  const auto better = [](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return a.first < b.first;
  };
  KeepBest(ranked, n, better);
  std::sort(ranked->begin(), ranked->end(), better);
}

// The block's labels that start with `prefix`, sorted. The pointers are
// valid until the block changes.
std::vector<const std::string*> SortedLabels(const SignalBlock* block,
                                             absl::string_view prefix) {
  std::vector<const std::string*> labels;
  if (block == nullptr) return labels;
  for (const auto& [label, affinity] : block->features) {
    if (absl::StartsWith(label, prefix)) labels.push_back(&label);
  }
  std::sort(labels.begin(), labels.end(),
            [](const std::string* a, const std::string* b) { return *a < *b; });
  return labels;
}

int PerSource(const SourceContext& ctx) {
  return ctx.index.config().proto().candidates_per_source();
}

double Freshness(const SourceContext& ctx, int64_t created_ms) {
  const double age = ctx.now_ms > created_ms ? ctx.now_ms - created_ms : 0;
  return std::exp2(-age / ctx.index.config().fresh_half_life_ms());
}

double EngagedWeight(const SourceContext& ctx, const std::string& label) {
  return ctx.user.EngagedWeight(label, ctx.index.config(), ctx.now_ms);
}

SignalSet EngagedSignals(const SourceContext& ctx, const std::string& label) {
  auto it = ctx.user.engaged().find(label);
  return it == ctx.user.engaged().end() ? SignalSet() : it->second.signals;
}

// Adds posts of `posts`, newest first, up to `n`, with `raw` each. Returns
// how many it added.
size_t AddNewestPosts(const PostSet& posts, size_t n, v1::ReasonSource source,
                      double raw_scale, SignalSet signals,
                      const SourceContext& ctx, CandidateTable* table) {
  size_t taken = 0;
  for (const auto& [neg_created, label] : posts) {
    if (taken >= n) break;
    AddRaw(table, label, source, raw_scale * Freshness(ctx, -neg_created),
           signals);
    ++taken;
  }
  return taken;
}

// Asks for each entry's label string (`label_of` gives its address) before
// the candidate table reads them: they are scattered over the index, and
// their cache misses then overlap instead of waiting for each in turn.
template <typename Entries, typename LabelOf>
void PrefetchLabels(const Entries& entries, LabelOf label_of) {
  for (const auto& entry : entries) __builtin_prefetch(label_of(entry));
}

// Each source stops after this many candidates in total; a followee or a
// friend contributes at most kPerPerson of them.
constexpr size_t kPerPerson = 5;
// A friend's taste is read from their this many most recent items.
constexpr int kFriendItems = 50;

}  // namespace

Candidate& CandidateTable::operator[](const std::string& label) {
  const auto it =
      index_.lazy_emplace(absl::string_view(label), [&](const auto& construct) {
        candidates_.emplace_back();
        candidates_.back().key = label;
        construct(static_cast<int32_t>(candidates_.size() - 1));
      });
  return candidates_[*it];
}

void CandidateTable::Clear() {
  // clear() frees a large table; reserving again at once is one allocation
  // instead of the several rehashes of growing from empty.
  const size_t used = candidates_.size();
  candidates_.clear();
  index_.clear();
  index_.reserve(used);
}

void AddRaw(CandidateTable* table, const std::string& label,
            v1::ReasonSource source, double raw, SignalSet signals) {
  if (raw <= 0) return;
  Candidate& c = (*table)[label];
  c.raw[source] += raw;
  c.signals[source] |= signals.bits();
}

void AddCoEngagement(const SourceContext& ctx, v1::ItemKind kind,
                     CandidateTable* table) {
  // Sum over seeds by item id first (cheap integer keys), then keep the
  // best candidates_per_source, ties by label (ids depend on arrival order).
  struct Sum {
    double raw = 0;
    SignalSet signals;
  };
  const v1::RankingConfig& config = ctx.index.config().proto();
  std::vector<const std::string*> seeds;
  std::vector<int32_t> ids;
  for (const std::string* seed :
       ctx.user.RecentEngaged(config.seed_items_per_request())) {
    const int32_t id = ctx.state.items.Find(*seed);
    if (id < 0) continue;
    seeds.push_back(seed);
    ids.push_back(id);
  }
  const std::vector<const PortraitIndex::Neighbours*> neighbours =
      ctx.index.NearestNeighbours(ctx.state, ids);
  absl::flat_hash_map<int32_t, Sum> sums;
  sums.reserve(config.seed_items_per_request() * config.neighbours_per_item());
  for (size_t i = 0; i < seeds.size(); ++i) {
    const double weight = EngagedWeight(ctx, *seeds[i]);
    const SignalSet signals = EngagedSignals(ctx, *seeds[i]);
    for (const PortraitIndex::Neighbour& neighbour : *neighbours[i]) {
      if (neighbour.kind != kind) continue;
      Sum& sum = sums[neighbour.item];
      sum.raw += weight * neighbour.similarity;
      sum.signals |= signals;
    }
  }
  std::vector<std::pair<const std::string*, const Sum*>> best;
  best.reserve(sums.size());
  for (const auto& [id, sum] : sums) {
    if (sum.raw > 0) best.emplace_back(&ctx.state.items.Label(id), &sum);
  }
  const auto better = [](const auto& a, const auto& b) {
    if (a.second->raw != b.second->raw) return a.second->raw > b.second->raw;
    return *a.first < *b.first;
  };
  KeepBest(&best, PerSource(ctx), better);
  PrefetchLabels(best, [](const auto& entry) { return entry.first; });
  for (const auto& [label, sum] : best) {
    AddRaw(table, *label, v1::CO_ENGAGEMENT, sum->raw, sum->signals);
  }
}

void AddEmbedding(const SourceContext& ctx, v1::ItemKind kind,
                  CandidateTable* table) {
  const ServingModel* model = ctx.model;
  if (model == nullptr) return;
  // The exact top candidates_per_source of every item of the kind, for the
  // user vector folded in from all the user's consented items
  // (ServingModel::TopFor; memoised per exact input).
  const UserTop top = model->TopFor(ctx.user_id, ctx.user, ctx.index.config(),
                                    kind, PerSource(ctx));
  PrefetchLabels(*top.rows, [&](const auto& entry) {
    return &model->item_labels[entry.first];
  });
  for (const auto& [row, score] : *top.rows) {
    AddRaw(table, model->item_labels[row], v1::EMBEDDING, score, top.signals);
  }
}

// Tag (or term) -> weight and the signals behind it.
struct TasteEntry {
  double weight = 0;
  SignalSet signals;
};

void AddSimilarTastePosts(const SourceContext& ctx, CandidateTable* table) {
  const v1::RankingConfig& config = ctx.index.config().proto();
  absl::flat_hash_map<std::string, TasteEntry> taste;
  for (const std::string* label :
       ctx.user.RecentEngaged(3 * config.seed_items_per_request())) {
    absl::string_view kind, id;
    if (!SplitLabel(*label, &kind, &id) || kind != "post") continue;
    const PostInfo* post = ctx.state.catalog.Post(id);
    if (post == nullptr) continue;
    const double weight = EngagedWeight(ctx, *label);
    const SignalSet signals = EngagedSignals(ctx, *label);
    for (const std::string& tag : post->tags) {
      taste[tag].weight += weight;
      taste[tag].signals |= signals;
    }
  }
  if (const SignalBlock* search = ctx.user.Block(v1::SEARCH)) {
    for (const std::string* label : SortedLabels(search, "term:")) {
      TasteEntry& entry = taste[label->substr(5)];
      entry.weight += search->features.at(*label).Decayed(
          ctx.now_ms, ctx.index.config().taste_half_life_ms());
      entry.signals.Add(v1::SEARCH);
    }
  }
  Ranked top;
  for (const auto& [tag, entry] : taste) top.emplace_back(tag, entry.weight);
  RankAndKeep(&top, 5);
  for (const auto& [tag, weight] : top) {
    const SignalSet signals = taste[tag].signals;
    size_t taken = 0;
    for (const auto& [neg_created, label] :
         ctx.state.catalog.PostsWithTag(tag)) {
      if (taken++ >= static_cast<size_t>(PerSource(ctx)) / 5) break;
      AddRaw(table, label, v1::SIMILAR_TASTE, weight, signals);
    }
  }
}

void AddSimilarTasteBrands(const SourceContext& ctx, CandidateTable* table) {
  const v1::RankingConfig& config = ctx.index.config().proto();
  for (const std::string* label :
       ctx.user.RecentEngaged(3 * config.seed_items_per_request())) {
    absl::string_view kind, id;
    if (!SplitLabel(*label, &kind, &id) || kind != "post") continue;
    const PostInfo* post = ctx.state.catalog.Post(id);
    if (post == nullptr || post->brand_id.empty()) continue;
    AddRaw(table, absl::StrCat("brand:", post->brand_id), v1::SIMILAR_TASTE,
           EngagedWeight(ctx, *label), EngagedSignals(ctx, *label));
  }
}

void AddFollowedPosts(const SourceContext& ctx, CandidateTable* table) {
  const SignalBlock* follow = ctx.user.Block(v1::FOLLOW);
  if (follow == nullptr) return;
  Ranked followed;  // By recency of the follow.
  for (const auto& [label, affinity] : follow->features) {
    followed.emplace_back(label, static_cast<double>(affinity.last_ms));
  }
  RankAndKeep(&followed, 50);
  const SignalSet signals = {v1::FOLLOW};
  size_t added = 0;
  for (const auto& [label, last] : followed) {
    if (added >= static_cast<size_t>(PerSource(ctx))) break;
    absl::string_view kind, id;
    if (!SplitLabel(label, &kind, &id)) continue;
    if (kind == "brand") {
      added += AddNewestPosts(ctx.state.catalog.PostsOfBrand(id), kPerPerson,
                              v1::FOLLOWED_BRAND, 1.0, signals, ctx, table);
    } else if (kind == "user") {
      added += AddNewestPosts(ctx.state.catalog.PostsOfAuthor(id), kPerPerson,
                              v1::FOLLOWED_AUTHOR, 1.0, signals, ctx, table);
    }
  }
}

namespace {

// Whether `other` lets `viewer` see their circle.
bool ShowsCircleTo(const PortraitIndex& index, const UserPortrait& other,
                   absl::string_view viewer, int64_t now_ms) {
  const ConsentView view = index.ViewOf(other, now_ms);
  return !view.account_deleted() && view.PurposeEffective(v1::SHARE_CIRCLE) &&
         !other.HasRelationship(v1::HIDE_MY_CIRCLE_FROM, viewer);
}

// A friend's taste in items with `prefix`: their most recently engaged items
// of the kind, each weighted by the friend's affinity for it over the
// friend's total, as of `now_ms`. `scratch` holds the shares when they are
// computed for this call.
const RecentShares& FriendShares(const UserPortrait& other,
                                 const std::string& prefix,
                                 const RankingConfig& config, int64_t now_ms,
                                 RecentShares* scratch) {
  const RecentShares& shares = other.Shares(prefix, kFriendItems, config);
  if (now_ms >= shares.reference_ms) return shares;
  // An engagement "in the future" (clock skew) counts as now, which does
  // not scale every weight alike: the shares as of now.
  *scratch = other.SharesAt(prefix, kFriendItems, config, now_ms);
  return *scratch;
}

void CopyShares(const RecentShares& shares,
                google::protobuf::RepeatedPtrField<v1::LabelShare>* out) {
  for (const auto& [label, share] : shares.shares) {
    v1::LabelShare* entry = out->Add();
    entry->set_label(*label);
    entry->set_share(share);
  }
}

}  // namespace

std::vector<VisibleFriend> VisibleFriends(const SourceContext& ctx) {
  std::vector<VisibleFriend> friends;
  for (const std::string* label :
       SortedLabels(ctx.user.Block(v1::FRIEND), "user:")) {
    if (friends.size() >= static_cast<size_t>(kMaxVisibleFriends)) break;
    const absl::string_view friend_id = absl::string_view(*label).substr(5);
    if (ctx.user.HasRelationship(v1::DONT_SHARE_CONTENT_OF, friend_id)) {
      continue;
    }
    if (const UserPortrait* other = ctx.state.User(friend_id)) {
      if (ShowsCircleTo(ctx.index, *other, ctx.user_id, ctx.now_ms)) {
        friends.push_back({other, nullptr});
      }
    } else if (ctx.peer_circles != nullptr) {
      const auto circle = ctx.peer_circles->find(friend_id);
      if (circle != ctx.peer_circles->end()) {
        friends.push_back({nullptr, &circle->second});
      }
    }
  }
  return friends;
}

std::vector<std::string> FriendsHeldElsewhere(const IndexState& state,
                                              const UserPortrait& user) {
  std::vector<std::string> ids;
  for (const std::string* label :
       SortedLabels(user.Block(v1::FRIEND), "user:")) {
    if (ids.size() >= static_cast<size_t>(kMaxPeerCircles)) break;
    const absl::string_view friend_id = absl::string_view(*label).substr(5);
    if (state.User(friend_id) == nullptr &&
        !user.HasRelationship(v1::DONT_SHARE_CONTENT_OF, friend_id)) {
      ids.emplace_back(friend_id);
    }
  }
  return ids;
}

PeerCircles FetchPeerCircles(const CircleFetcher* fetcher,
                             const PortraitIndex& index,
                             const std::string& user_id, v1::Purpose purpose,
                             v1::Surface surface, int64_t now_ms) {
  if (fetcher == nullptr) return {};
  const std::vector<std::string> elsewhere =
      index.Read([&](const IndexState& state) {
        const UserPortrait* user = state.User(user_id);
        if (user == nullptr ||
            !index.ViewOf(*user, now_ms).PurposeEffective(purpose)) {
          return std::vector<std::string>();
        }
        return FriendsHeldElsewhere(state, *user);
      });
  if (elsewhere.empty()) return {};
  return fetcher->Fetch(user_id, elsewhere,
                        surface == v1::FEED     ? v1::CIRCLE_POST_SHARES
                        : surface == v1::BRANDS ? v1::CIRCLE_BRAND_SHARES
                                                : v1::CIRCLE_FRIENDS,
                        now_ms);
}

absl::StatusOr<v1::GetCirclesResponse> AnswerCircles(
    const PortraitIndex& index, const v1::GetCirclesRequest& request) {
  PORTRAIT_RETURN_IF_ERROR(
      ValidateId(request.viewer_user_id(), "viewer_user_id"));
  if (request.user_ids_size() > kMaxPeerCircles) {
    return absl::InvalidArgumentError(
        absl::StrCat("user_ids: has ", request.user_ids_size(), "; at most ",
                     kMaxPeerCircles, " are allowed"));
  }
  for (int i = 0; i < request.user_ids_size(); ++i) {
    PORTRAIT_RETURN_IF_ERROR(
        ValidateId(request.user_ids(i), absl::StrCat("user_ids[", i, "]")));
  }
  if (request.now_ms() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "now_ms: is ", request.now_ms(), "; must be a time after 1970"));
  }
  bool friends = false, posts = false, brands = false;
  for (int i = 0; i < request.parts_size(); ++i) {
    switch (request.parts(i)) {
      case v1::CIRCLE_FRIENDS:
        friends = true;
        break;
      case v1::CIRCLE_POST_SHARES:
        posts = true;
        break;
      case v1::CIRCLE_BRAND_SHARES:
        brands = true;
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("parts[", i, "]: is ", request.parts(i),
                         "; must be CIRCLE_FRIENDS, CIRCLE_POST_SHARES or "
                         "CIRCLE_BRAND_SHARES"));
    }
  }
  if (request.parts_size() == 0) {
    return absl::InvalidArgumentError("parts: at least one is required");
  }
  return index.Read([&](const IndexState& state) {
    v1::GetCirclesResponse response;
    const std::string post_prefix = "post:", brand_prefix = "brand:";
    RecentShares scratch;
    for (const std::string& id : request.user_ids()) {
      // The asker reads at most this many, in request order.
      if (response.circles_size() >= kMaxVisibleFriends) break;
      const UserPortrait* other = state.User(id);
      if (other == nullptr ||
          !ShowsCircleTo(index, *other, request.viewer_user_id(),
                         request.now_ms())) {
        continue;
      }
      v1::Circle* circle = response.add_circles();
      circle->set_user_id(id);
      if (friends) {
        for (const std::string* label :
             SortedLabels(other->Block(v1::FRIEND), "user:")) {
          circle->add_friends(*label);
        }
      }
      if (posts) {
        CopyShares(FriendShares(*other, post_prefix, index.config(),
                                request.now_ms(), &scratch),
                   circle->mutable_post_shares());
      }
      if (brands) {
        CopyShares(FriendShares(*other, brand_prefix, index.config(),
                                request.now_ms(), &scratch),
                   circle->mutable_brand_shares());
      }
    }
    return response;
  });
}

void AddFriendsEngaged(const SourceContext& ctx, absl::string_view kind,
                       CandidateTable* table) {
  // Each friend's taste (FriendShares), summed over friends by label.
  const SignalSet signals = {v1::FRIEND};
  const std::string prefix = absl::StrCat(kind, ":");
  // By label text: each friend's portrait or circle holds its own copy of a
  // label. The first friend's copy is the one added.
  absl::flat_hash_map<absl::string_view, std::pair<const std::string*, double>>
      sums;
  const auto add = [&sums](const std::string* label, double share) {
    auto [it, added] = sums.try_emplace(*label, label, 0.0);
    it->second.second += share;
  };
  RecentShares scratch;
  for (const VisibleFriend& other : VisibleFriends(ctx)) {
    if (other.portrait != nullptr) {
      for (const auto& [label, share] :
           FriendShares(*other.portrait, prefix, ctx.index.config(), ctx.now_ms,
                        &scratch)
               .shares) {
        add(label, share);
      }
    } else {
      for (const v1::LabelShare& entry : kind == "post"
                                             ? other.circle->post_shares()
                                             : other.circle->brand_shares()) {
        add(&entry.label(), entry.share());
      }
    }
  }
  // The best by sum, ties by label, before any label is copied.
  std::vector<std::pair<const std::string*, double>> best;
  best.reserve(sums.size());
  for (const auto& [text, sum] : sums) best.push_back(sum);
  const auto better = [](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return *a.first < *b.first;
  };
  KeepBest(&best, PerSource(ctx), better);
  PrefetchLabels(best, [](const auto& entry) { return entry.first; });
  for (const auto& [label, sum] : best) {
    AddRaw(table, *label, v1::FRIENDS_ENGAGED, sum, signals);
  }
}

void AddNearbyPosts(const SourceContext& ctx, CandidateTable* table) {
  Ranked cells;
  if (const SignalBlock* location = ctx.user.Block(v1::LOCATION)) {
    for (const auto& [label, affinity] : location->features) {
      cells.emplace_back(
          label.substr(5),
          affinity.Decayed(ctx.now_ms,
                           ctx.index.config().taste_half_life_ms()));
    }
    RankAndKeep(&cells, 3);
  }
  double top = cells.empty() ? 1.0 : cells.front().second;
  if (ctx.context_cell.has_value()) cells.emplace_back(*ctx.context_cell, top);
  const SignalSet signals = {v1::LOCATION};
  for (const auto& [cell, weight] : cells) {
    AddNewestPosts(ctx.state.catalog.PostsInCell(cell), PerSource(ctx) / 4,
                   v1::NEARBY, weight, signals, ctx, table);
  }
}

void AddPopular(const SourceContext& ctx, absl::string_view kind,
                CandidateTable* table) {
  const auto top = ctx.index.TopByCount(ctx.state, kind, PerSource(ctx));
  for (const auto& [label, count] : *top) {
    AddRaw(table, label, v1::POPULAR, std::log1p(count), SignalSet());
  }
}

void AddFreshPosts(const SourceContext& ctx, CandidateTable* table) {
  AddNewestPosts(ctx.state.catalog.AllPosts(), PerSource(ctx), v1::FRESH, 1.0,
                 SignalSet(), ctx, table);
}

void AddPeopleSources(const SourceContext& ctx, CandidateTable* table) {
  for (const VisibleFriend& other : VisibleFriends(ctx)) {
    if (other.portrait != nullptr) {
      for (const std::string* label :
           SortedLabels(other.portrait->Block(v1::FRIEND), "user:")) {
        AddRaw(table, *label, v1::FRIENDS_OF_FRIENDS, 1.0,
               SignalSet{v1::FRIEND});
      }
    } else {
      for (const std::string& label : other.circle->friends()) {
        AddRaw(table, label, v1::FRIENDS_OF_FRIENDS, 1.0,
               SignalSet{v1::FRIEND});
      }
    }
  }
  for (const std::string* followed :
       SortedLabels(ctx.user.Block(v1::FOLLOW), "")) {
    for (const std::string* follower :
         ctx.state.FirstFollowers(*followed, PerSource(ctx))) {
      AddRaw(table, absl::StrCat("user:", *follower), v1::CO_FOLLOW, 1.0,
             SignalSet{v1::FOLLOW});
    }
  }
  for (const std::string* label :
       SortedLabels(ctx.user.Block(v1::CONTACTS), "contact:")) {
    for (const std::string& person : ctx.state.catalog.PeopleWithContactHash(
             absl::HexStringToBytes(label->substr(8)))) {
      AddRaw(table, absl::StrCat("user:", person), v1::CONTACTS_MATCH, 1.0,
             SignalSet{v1::CONTACTS});
    }
  }
}

}  // namespace portrait
