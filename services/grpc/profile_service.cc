#include "services/grpc/profile_service.h"

#include <utility>

#include "services/grpc/status_conversion.h"
#include "services/profile/event_summary.h"

namespace portrait {

ProfileServiceImpl::ProfileServiceImpl(Store* store) : store_(store) {}

grpc::Status ProfileServiceImpl::GetEventSummary(
    grpc::ServerContext*, const v1::GetEventSummaryRequest* request,
    v1::GetEventSummaryResponse* response) {
  absl::StatusOr<v1::GetEventSummaryResponse> summary =
      SummarizeEvents(store_, request->user_id());
  if (!summary.ok()) return ToGrpcStatus(summary.status());
  *response = std::move(*summary);
  return grpc::Status::OK;
}

}  // namespace portrait
