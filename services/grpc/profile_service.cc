#include "services/grpc/profile_service.h"

#include "services/grpc/status_conversion.h"
#include "services/profile/event_summary.h"
#include "services/profile/profile_builder.h"

namespace portrait {

ProfileServiceImpl::ProfileServiceImpl(Store* store, const PortraitIndex* index,
                                       const Clock* clock)
    : store_(store), index_(index), clock_(clock) {}

grpc::Status ProfileServiceImpl::GetProfile(
    grpc::ServerContext* context, const v1::GetProfileRequest* request,
    v1::GetProfileResponse* response) {
  return AnswerWith(
      *context,
      [&](const Cancellation&) {
        return BuildProfile(*index_, *clock_, request->user_id());
      },
      response);
}

grpc::Status ProfileServiceImpl::GetEventSummary(
    grpc::ServerContext* context, const v1::GetEventSummaryRequest* request,
    v1::GetEventSummaryResponse* response) {
  return AnswerWith(
      *context,
      [&](const Cancellation& call) {
        return SummarizeEvents(store_, request->user_id(), call);
      },
      response);
}

}  // namespace portrait
