#include "services/push/check_in.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "models/features.h"
#include "services/ingest/validation.h"
#include "services/storage/ids.h"

namespace portrait {
namespace {

// What the index says about the request, read under its lock.
struct Facts {
  absl::Status refused;  // Set when the check-in may not be answered.
  double merchant_latitude = 0;
  double merchant_longitude = 0;
  int radius_m = 0;
};

}  // namespace

CheckInDesk::CheckInDesk(const PortraitIndex* index, EventIngestor* ingestor,
                         const Clock* clock)
    : index_(index), ingestor_(ingestor), clock_(clock) {}

absl::StatusOr<v1::CheckInResponse> CheckInDesk::CheckIn(
    const v1::CheckInRequest& request) {
  PORTRAIT_RETURN_IF_ERROR(ValidateId(request.user_id(), "user_id"));
  PORTRAIT_RETURN_IF_ERROR(ValidateId(request.merchant_id(), "merchant_id"));
  PORTRAIT_RETURN_IF_ERROR(
      ValidateId(request.check_in_id(), "check_in_id", kMaxCheckInIdBytes));
  v1::LocationPayload reported;
  reported.set_latitude(request.latitude());
  reported.set_longitude(request.longitude());
  PORTRAIT_RETURN_IF_ERROR(ValidateLocation(reported, "location"));

  const int64_t now_ms = clock_->NowMillis();
  const Facts facts = index_->Read([&](const IndexState& state) {
    Facts f;
    const ConsentView view =
        index_->ViewOf(state.UserOrEmpty(request.user_id()), now_ms);
    if (view.account_deleted()) {
      f.refused =
          absl::FailedPreconditionError("user_id: the account was deleted");
      return f;
    }
    if (!view.Signal(v1::LOCATION).effective) {
      f.refused = absl::FailedPreconditionError(absl::StrCat(
          "user_id: LOCATION is not granted for ", request.user_id(),
          "; a check-in uses the user's location"));
      return f;
    }
    const v1::Brand* merchant = state.catalog.Brand(request.merchant_id());
    if (merchant == nullptr) {
      f.refused = absl::NotFoundError(
          absl::StrCat("merchant_id: no brand ", request.merchant_id()));
      return f;
    }
    if (!merchant->has_location()) {
      f.refused = absl::FailedPreconditionError(
          absl::StrCat("merchant_id: brand ", request.merchant_id(),
                       " has no store location"));
      return f;
    }
    f.merchant_latitude = merchant->location().latitude();
    f.merchant_longitude = merchant->location().longitude();
    f.radius_m = merchant->check_in_radius_m();
    return f;
  });
  PORTRAIT_RETURN_IF_ERROR(facts.refused);

  v1::CheckInResponse response;
  response.set_within_radius(
      DistanceMeters(request.latitude(), request.longitude(),
                     facts.merchant_latitude,
                     facts.merchant_longitude) <= facts.radius_m);
  response.set_stored(v1::CHECK_IN_STORED_NOTHING);
  if (index_->config().proto().push().check_in_storage() !=
      v1::CHECK_IN_KEEP_CELL) {
    return response;
  }
  // Only the cell: its centre, as a LOCATION event, through the consent
  // gate (a revocation since the check above refuses it).
  const auto [latitude, longitude] =
      GeoCellCentre(request.latitude(), request.longitude());
  google::protobuf::RepeatedPtrField<v1::Event> events;
  v1::Event* event = events.Add();
  event->set_event_id(absl::StrCat("check-in:", request.check_in_id()));
  event->set_user_id(request.user_id());
  event->set_signal(v1::LOCATION);
  event->set_occurred_at_ms(now_ms);
  event->mutable_location()->set_latitude(latitude);
  event->mutable_location()->set_longitude(longitude);
  PORTRAIT_ASSIGN_OR_RETURN(v1::RecordEventsResponse recorded,
                            ingestor_->Record(events));
  const v1::EventOutcome outcome = recorded.results(0).outcome();
  if (outcome == v1::STORED || outcome == v1::DUPLICATE) {
    response.set_stored(v1::CHECK_IN_STORED_CELL);
    response.set_stored_cell(GeoCell(latitude, longitude));
  }
  return response;
}

}  // namespace portrait
