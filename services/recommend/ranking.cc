#include "services/recommend/ranking.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "models/blend.h"
#include "portrait/storage/records.pb.h"
#include "services/consent/signal_set.h"

namespace portrait {
namespace {

// What the user asked never to see, and (personalised) what they already
// have. Reads the portrait in place rather than copying it.
class Exclusions {
 public:
  Exclusions(const UserPortrait& user, bool personalized)
      : user_(user),
        personalized_(personalized),
        blocked_(user.Block(v1::BLOCK)),
        dismissed_(user.Block(v1::PUSH_FEEDBACK)),
        known_{user.Block(v1::FOLLOW), user.Block(v1::FRIEND),
               user.Block(v1::POST)} {
    for (const storage::RelationshipRecord& r : user.consent.relationships()) {
      switch (r.relationship()) {
        case v1::BLACKLIST_USER:
        case v1::DONT_SHARE_CONTENT_OF:
          commanded_.insert(absl::StrCat("user:", r.target_id()));
          break;
        case v1::BLACKLIST_BRAND:
          commanded_.insert(absl::StrCat("brand:", r.target_id()));
          break;
        default:
          break;
      }
    }
  }

  // Whether the user refuses this item, person or brand, and with it their
  // posts: by a relationship command, or by a block (while BLOCK is
  // effective); in every mode.
  bool Refused(const std::string& label) const {
    if (commanded_.contains(label)) return true;
    return blocked_ != nullptr && blocked_->features.contains(label);
  }

  // Whether the user dismissed a push of this very item (while
  // PUSH_FEEDBACK is effective; in every mode). Unlike a block, it does not
  // extend to a person's or a brand's posts.
  bool Dismissed(const std::string& label) const {
    return dismissed_ != nullptr &&
           dismissed_->features.contains(DismissedLabel(label));
  }

  // Whether a personalised answer should skip it as already known: engaged,
  // followed, befriended, or authored.
  bool Known(const std::string& label) const {
    if (!personalized_) return false;
    if (user_.engaged().contains(label)) return true;
    for (const SignalBlock* block : known_) {
      if (block != nullptr && block->features.contains(label)) return true;
    }
    return false;
  }

 private:
  const UserPortrait& user_;
  const bool personalized_;
  const SignalBlock* const blocked_;    // BLOCK
  const SignalBlock* const dismissed_;  // PUSH_FEEDBACK
  const SignalBlock* const known_[3];   // FOLLOW, FRIEND, POST
  absl::flat_hash_set<std::string> commanded_;
};

// Keeps a candidate that exists and that nothing excludes; fills its
// diversity groups.
bool Admit(const SourceContext& ctx, const Exclusions& ex, Candidate* c) {
  if (ex.Refused(c->key) || ex.Dismissed(c->key) || ex.Known(c->key)) {
    return false;
  }
  absl::string_view kind, id;
  if (!SplitLabel(c->key, &kind, &id)) return false;
  if (kind == "post") {
    const PostInfo* post = ctx.state.catalog.Post(id);
    if (post == nullptr || post->author_id == ctx.user_id ||
        (!post->author_id.empty() &&
         ex.Refused(absl::StrCat("user:", post->author_id))) ||
        (!post->brand_id.empty() &&
         ex.Refused(absl::StrCat("brand:", post->brand_id)))) {
      return false;
    }
    if (!post->author_id.empty()) {
      if (!ctx.state.ShowsPostsOf(post->author_id, ctx.user_id)) return false;
      c->author_group = absl::StrCat("user:", post->author_id);
    }
    if (!post->brand_id.empty())
      c->brand_group = absl::StrCat("brand:", post->brand_id);
    return true;
  }
  if (kind == "brand") return ctx.state.catalog.Brand(id) != nullptr;
  // A person: recommendable, exposed, and not shutting the user out.
  if (id == ctx.user_id || ctx.state.catalog.Person(id) == nullptr)
    return false;
  const UserPortrait* person = ctx.state.User(id);
  if (person == nullptr) {
    // On another shard of a cluster (its settings in peer_people), or
    // unknown: default consent, exposure on.
    const auto peer = ctx.state.peer_people.find(id);
    if (peer == ctx.state.peer_people.end()) return true;
    const v1::PersonSettings& settings = peer->second;
    return !settings.account_deleted() && !settings.not_exposed() &&
           !std::binary_search(settings.blacklisted().begin(),
                               settings.blacklisted().end(), ctx.user_id);
  }
  const ConsentView view = ctx.index.ViewOf(*person, ctx.now_ms);
  return !view.account_deleted() &&
         view.PurposeEffective(v1::PEOPLE_YOU_MAY_KNOW_EXPOSURE) &&
         !person->HasRelationship(v1::BLACKLIST_USER, ctx.user_id);
}

// Runs the surface's sources among `sources`, skipping those the blend
// weighs 0 (their candidates could never rank by them, and reasons name only
// sources that count).
void GatherCandidates(const SourceContext& ctx, v1::Surface surface,
                      bool personalized, SourceSet sources,
                      CandidateTable* table) {
  const auto& weights = ctx.index.config().source_weights();
  const auto on = [&](v1::ReasonSource source) {
    return weights[source] > 0 && sources.Contains(source);
  };
  switch (surface) {
    case v1::FEED:
      if (personalized) {
        if (on(v1::CO_ENGAGEMENT)) AddCoEngagement(ctx, v1::ITEM_POST, table);
        if (on(v1::SIMILAR_TASTE)) AddSimilarTastePosts(ctx, table);
        if (on(v1::FOLLOWED_BRAND) || on(v1::FOLLOWED_AUTHOR)) {
          AddFollowedPosts(ctx, table);
        }
        if (on(v1::FRIENDS_ENGAGED)) AddFriendsEngaged(ctx, "post", table);
        if (on(v1::NEARBY) &&
            (ctx.user.Block(v1::LOCATION) != nullptr || ctx.context_cell)) {
          AddNearbyPosts(ctx, table);
        }
      }
      if (on(v1::POPULAR)) AddPopular(ctx, "post", table);
      if (on(v1::FRESH)) AddFreshPosts(ctx, table);
      if (personalized && on(v1::EMBEDDING))
        AddEmbedding(ctx, v1::ITEM_POST, table);
      break;
    case v1::BRANDS:
      if (personalized) {
        if (on(v1::CO_ENGAGEMENT)) AddCoEngagement(ctx, v1::ITEM_BRAND, table);
        if (on(v1::SIMILAR_TASTE)) AddSimilarTasteBrands(ctx, table);
        if (on(v1::FRIENDS_ENGAGED)) AddFriendsEngaged(ctx, "brand", table);
      }
      if (on(v1::POPULAR)) AddPopular(ctx, "brand", table);
      if (personalized && on(v1::EMBEDDING))
        AddEmbedding(ctx, v1::ITEM_BRAND, table);
      break;
    default:
      if (personalized) AddPeopleSources(ctx, table);
      if (on(v1::POPULAR)) AddPopular(ctx, "user", table);
      break;
  }
}

}  // namespace

bool ReadsCircles(const RankingConfig& config, v1::Surface surface,
                  SourceSet sources) {
  if (surface == v1::PEOPLE) return true;  // Friends of friends.
  return config.source_weights()[v1::FRIENDS_ENGAGED] > 0 &&
         sources.Contains(v1::FRIENDS_ENGAGED);
}

namespace {

void FillItem(const Candidate& c, v1::RecommendedItem* out) {
  *out->mutable_item() = LabelRef(c.key);
  out->set_score(c.score);
  for (int s = 1; s < kNumSources; ++s) {
    if (c.raw[s] <= 0) continue;
    v1::Reason* reason = out->add_reasons();
    reason->set_source(static_cast<v1::ReasonSource>(s));
    SignalSet::FromBits(c.signals[s]).ForEach([&](v1::Signal signal) {
      reason->add_signals(signal);
    });
  }
}

}  // namespace

std::vector<std::string> RankItems(
    const SourceContext& ctx, v1::Surface surface, bool personalized,
    SourceSet sources, int limit, const absl::flat_hash_set<std::string>& skip,
    google::protobuf::RepeatedPtrField<v1::RecommendedItem>* out,
    size_t* gathered) {
  thread_local CandidateTable table;
  table.Clear();
  GatherCandidates(ctx, surface, personalized, sources, &table);
  const Exclusions exclusions(ctx.user, personalized);
  std::vector<Candidate*> candidates;
  candidates.reserve(table.candidates().size());
  for (Candidate& candidate : table.candidates())
    candidates.push_back(&candidate);
  BlendScores(ctx.index.config().source_weights(), candidates);
  std::vector<std::string> labels;
  for (const Candidate* c : PickPage(
           &candidates, skip, limit, ctx.index.config().proto().max_per_group(),
           [&](Candidate* c) { return Admit(ctx, exclusions, c); })) {
    FillItem(*c, out->Add());
    labels.push_back(c->key);
  }
  if (gathered != nullptr) *gathered = candidates.size();
  return labels;
}

}  // namespace portrait
