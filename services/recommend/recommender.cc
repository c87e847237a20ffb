#include "services/recommend/recommender.h"

#include <optional>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "models/features.h"
#include "portrait/storage/records.pb.h"
#include "services/recommend/ranking.h"
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

}  // namespace

Recommender::Recommender(const PortraitIndex* index,
                         const ModelTrainer* trainer, const Clock* clock,
                         const CircleFetcher* circles)
    : index_(index), trainer_(trainer), clock_(clock), circles_(circles) {}

absl::StatusOr<v1::RecommendResponse> Recommender::Recommend(
    const v1::RecommendRequest& request) const {
  PORTRAIT_RETURN_IF_ERROR(Validate(request));
  PORTRAIT_ASSIGN_OR_RETURN(storage::PageToken token, DecodeToken(request));
  const int limit = request.limit() == 0 ? kDefaultLimit : request.limit();
  const int64_t now_ms = clock_->NowMillis();
  const std::shared_ptr<const ServingModel> model =
      trainer_ != nullptr ? trainer_->current() : nullptr;
  const PeerCircles circles =
      ReadsCircles(index_->config(), request.surface(), SourceSet::All())
          ? FetchPeerCircles(circles_, *index_, request.user_id(),
                             v1::PERSONALIZED_FEED, request.surface(), now_ms)
          : PeerCircles();
  return index_->Read([&](const IndexState& state)
                          -> absl::StatusOr<v1::RecommendResponse> {
    const UserPortrait* user = &state.UserOrEmpty(request.user_id());
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
    SourceContext ctx{*index_, state,        *user,       request.user_id(),
                      now_ms,  std::nullopt, model.get(), &circles};
    if (personalized && request.context().has_location() &&
        view.Signal(v1::LOCATION).effective) {
      ctx.context_cell =
          GeoCell(request.context().latitude(), request.context().longitude());
    }
    const absl::flat_hash_set<std::string> served(token.served().begin(),
                                                  token.served().end());
    size_t gathered = 0;
    for (std::string& label :
         RankItems(ctx, request.surface(), personalized, SourceSet::All(),
                   limit, served, response.mutable_items(), &gathered)) {
      token.add_served(std::move(label));
    }
    if (response.items_size() == limit && token.served_size() <= kMaxServed &&
        static_cast<size_t>(token.served_size()) < gathered) {
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
