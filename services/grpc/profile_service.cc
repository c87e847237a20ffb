#include "services/grpc/profile_service.h"

#include "services/grpc/status_conversion.h"
#include "services/profile/event_summary.h"

namespace portrait {

ProfileServiceImpl::ProfileServiceImpl(Store* store) : store_(store) {}

grpc::Status ProfileServiceImpl::GetEventSummary(
    grpc::ServerContext*, const v1::GetEventSummaryRequest* request,
    v1::GetEventSummaryResponse* response) {
  return AnswerWith(SummarizeEvents(store_, request->user_id()), response);
}

}  // namespace portrait
