#include "services/recommend/recommender.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "models/blend.h"
#include "models/features.h"
#include "portrait/storage/records.pb.h"
#include "services/consent/signal_set.h"
#include "services/recommend/candidate_sources.h"
#include "services/storage/ids.h"

namespace portrait {
namespace {

constexpr int kDefaultLimit = 20;
constexpr int kMaxLimit = 100;
constexpr int kMaxServed = 1000;

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::Status Validate(const v1::RecommendRequest& r) {
  PORTRAIT_RETURN_IF_ERROR(ValidateId(r.user_id(), "user_id"));
  if (r.surface() == v1::SURFACE_UNSPECIFIED ||
      !v1::Surface_IsValid(r.surface())) {
    return Invalid(
        "surface",
        absl::StrCat("must be FEED, BRANDS or PEOPLE, not ", r.surface()));
  }
  if (r.limit() < 0 || r.limit() > kMaxLimit) {
    return Invalid(
        "limit", absl::StrCat("is ", r.limit(), "; must be 0 to ", kMaxLimit));
  }
  if (r.context().has_location() &&
      !(r.context().latitude() >= -90 && r.context().latitude() <= 90 &&
        r.context().longitude() >= -180 && r.context().longitude() <= 180)) {
    return Invalid("context",
                   "latitude must be in [-90, 90] and longitude in "
                   "[-180, 180]");
  }
  return absl::OkStatus();
}

absl::StatusOr<storage::PageToken> DecodeToken(const v1::RecommendRequest& r) {
  storage::PageToken token;
  if (r.page_token().empty()) return token;
  std::string bytes;
  if (!absl::WebSafeBase64Unescape(r.page_token(), &bytes) ||
      !token.ParseFromString(bytes) || token.user_id() != r.user_id() ||
      token.surface() != r.surface()) {
    return Invalid("page_token",
                   "is not a token issued for this user and surface");
  }
  return token;
}

// What the user asked never to see, and (personalised) what they already
// have. Reads the portrait in place rather than copying it.
class Exclusions {
 public:
  Exclusions(const UserPortrait& user, bool personalized)
      : user_(user),
        personalized_(personalized),
        blocked_(user.Block(v1::BLOCK)),
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

  // Whether the user refuses this item, person or brand: by a relationship
  // command, or by a block (while BLOCK is effective; in every mode).
  bool Refused(const std::string& label) const {
    if (commanded_.contains(label)) return true;
    return blocked_ != nullptr && blocked_->features.contains(label);
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
  const SignalBlock* const blocked_;   // BLOCK
  const SignalBlock* const known_[3];  // FOLLOW, FRIEND, POST
  absl::flat_hash_set<std::string> commanded_;
};

bool HasRelationship(const UserPortrait& user, v1::Relationship relationship,
                     const std::string& target) {
  for (const storage::RelationshipRecord& r : user.consent.relationships()) {
    if (r.relationship() == relationship && r.target_id() == target)
      return true;
  }
  return false;
}

// Keeps a candidate that exists and that nothing excludes; fills its
// diversity groups.
bool Admit(const SourceContext& ctx, const Exclusions& ex, Candidate* c) {
  if (ex.Refused(c->key) || ex.Known(c->key)) return false;
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
      const UserPortrait* author = ctx.state.User(post->author_id);
      if (author != nullptr &&
          HasRelationship(*author, v1::HIDE_MY_POSTS_FROM, ctx.user_id)) {
        return false;
      }
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
  if (person == nullptr) return true;  // Default consent: exposure on.
  const ConsentView view = ctx.index.ViewOf(*person, ctx.now_ms);
  return !view.account_deleted() &&
         view.PurposeEffective(v1::PEOPLE_YOU_MAY_KNOW_EXPOSURE) &&
         !HasRelationship(*person, v1::BLACKLIST_USER, ctx.user_id);
}

// Runs the surface's sources, skipping those the blend weighs 0 (their
// candidates could never rank by them, and reasons name only sources that
// count).
void GatherCandidates(const SourceContext& ctx, v1::Surface surface,
                      bool personalized, CandidateTable* table) {
  const auto& weights = ctx.index.config().source_weights();
  const auto on = [&](v1::ReasonSource source) { return weights[source] > 0; };
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

void FillItem(const Candidate& c, v1::RecommendedItem* out) {
  absl::string_view kind, id;
  SplitLabel(c.key, &kind, &id);
  out->mutable_item()->set_kind(kind == "post"    ? v1::ITEM_POST
                                : kind == "brand" ? v1::ITEM_BRAND
                                                  : v1::ITEM_USER);
  out->mutable_item()->set_id(std::string(id));
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

Recommender::Recommender(const PortraitIndex* index,
                         const ModelTrainer* trainer, const Clock* clock)
    : index_(index), trainer_(trainer), clock_(clock) {}

absl::StatusOr<v1::RecommendResponse> Recommender::Recommend(
    const v1::RecommendRequest& request) const {
  PORTRAIT_RETURN_IF_ERROR(Validate(request));
  PORTRAIT_ASSIGN_OR_RETURN(storage::PageToken token, DecodeToken(request));
  const int limit = request.limit() == 0 ? kDefaultLimit : request.limit();
  const int64_t now_ms = clock_->NowMillis();
  const std::shared_ptr<const ServingModel> model =
      trainer_ != nullptr ? trainer_->current() : nullptr;
  return index_->Read([&](const IndexState& state)
                          -> absl::StatusOr<v1::RecommendResponse> {
    static const UserPortrait* const kNobody = new UserPortrait();
    const UserPortrait* user = state.User(request.user_id());
    if (user == nullptr) user = kNobody;
    const ConsentView view = index_->ViewOf(*user, now_ms);
    if (view.account_deleted()) {
      return absl::FailedPreconditionError("user_id: the account was deleted");
    }
    v1::RecommendResponse response;
    const bool personalized = view.PurposeEffective(v1::PERSONALIZED_FEED);
    response.set_personalized(personalized);
    if (!personalized) {
      response.set_non_personalized_reason(
          view.PurposeEnabled(v1::PERSONALIZED_FEED)
              ? "the user is a minor without guardian consent"
              : "PERSONALIZED_FEED is off");
    }
    SourceContext ctx{*index_, state,        *user,      request.user_id(),
                      now_ms,  std::nullopt, model.get()};
    if (personalized && request.context().has_location() &&
        view.Signal(v1::LOCATION).effective) {
      ctx.context_cell =
          GeoCell(request.context().latitude(), request.context().longitude());
    }
    thread_local CandidateTable table;
    table.Clear();
    GatherCandidates(ctx, request.surface(), personalized, &table);
    const Exclusions exclusions(*user, personalized);
    std::vector<Candidate*> candidates;
    candidates.reserve(table.candidates().size());
    for (Candidate& candidate : table.candidates())
      candidates.push_back(&candidate);
    BlendScores(index_->config().source_weights(), candidates);
    const absl::flat_hash_set<std::string> served(token.served().begin(),
                                                  token.served().end());
    for (const Candidate* c :
         PickPage(&candidates, served, limit,
                  index_->config().proto().max_per_group(),
                  [&](Candidate* c) { return Admit(ctx, exclusions, c); })) {
      FillItem(*c, response.add_items());
      token.add_served(c->key);
    }
    if (response.items_size() == limit && token.served_size() <= kMaxServed &&
        static_cast<size_t>(token.served_size()) < candidates.size()) {
      token.set_user_id(request.user_id());
      token.set_surface(request.surface());
      response.set_next_page_token(
          absl::WebSafeBase64Escape(token.SerializeAsString()));
    }
    response.add_model_versions("co_engagement:1");
    response.add_model_versions("blend:1");
    if (model != nullptr) {
      response.add_model_versions(
          absl::StrCat("ials:", model->lineage.version()));
    }
    return response;
  });
}

}  // namespace portrait
