#include "services/grpc/push_service.h"

#include "services/grpc/access_control.h"
#include "services/grpc/status_conversion.h"
#include "services/push/push_feedback.h"

namespace portrait {

PushServiceImpl::PushServiceImpl(const PushPlanner* planner,
                                 PushHistory* history, CheckInDesk* check_in,
                                 EventIngestor* ingestor, CallLimits* limits,
                                 ServiceMetrics* metrics,
                                 const ShardGuard* shard)
    : shard_(shard),
      planner_(planner),
      history_(history),
      check_in_(check_in),
      ingestor_(ingestor),
      limits_(limits),
      metrics_(metrics) {}

grpc::Status PushServiceImpl::GetPushCandidates(
    grpc::ServerContext* context, const v1::GetPushCandidatesRequest* request,
    v1::GetPushCandidatesResponse* response) {
  if (grpc::Status routed = shard_->UserCall(*context, *request); !routed.ok())
    return routed;
  return AnswerWithin(
      limits_->reads, *context,
      [&](const Cancellation& call) {
        return planner_->GetCandidates(*request, call);
      },
      response);
}

grpc::Status PushServiceImpl::StreamPushCandidates(
    grpc::ServerContext* context,
    const v1::StreamPushCandidatesRequest* request,
    grpc::ServerWriter<v1::UserPushCandidates>* writer) {
  if (grpc::Status routed = shard_->ShardCall(*context); !routed.ok())
    return routed;
  absl::StatusOr<PerCallerLimiter::Slot> stream =
      limits_->streams.Enter(CallerIdentity(*context));
  if (!stream.ok()) return ToGrpcStatus(stream.status());
  absl::StatusOr<CallLimiter::Slot> slot = limits_->reads.Enter();
  if (!slot.ok()) return ToGrpcStatus(slot.status());
  const CallCancellation call(*context);
  return ToGrpcStatus(planner_->Stream(
      *request, call, [&](const v1::UserPushCandidates& message) {
        return writer->Write(message);
      }));
}

grpc::Status PushServiceImpl::RecordPushes(
    grpc::ServerContext* context, const v1::RecordPushesRequest* request,
    v1::RecordPushesResponse* response) {
  if (grpc::Status routed = shard_->UserCall(*context, *request); !routed.ok())
    return routed;
  return AnswerWithin(
      limits_->writes, *context,
      [&](const Cancellation&) { return history_->Record(*request); },
      response);
}

grpc::Status PushServiceImpl::RecordPushFeedback(
    grpc::ServerContext* context, const v1::RecordPushFeedbackRequest* request,
    v1::RecordEventsResponse* response) {
  if (grpc::Status routed = shard_->UserCall(*context, *request); !routed.ok())
    return routed;
  return AnswerWithin(
      limits_->writes, *context,
      [&](const Cancellation&) {
        absl::StatusOr<v1::RecordEventsResponse> answer =
            portrait::RecordPushFeedback(*ingestor_, *request);
        if (answer.ok()) metrics_->CountEvents(answer->results());
        return answer;
      },
      response);
}

grpc::Status PushServiceImpl::CheckIn(grpc::ServerContext* context,
                                      const v1::CheckInRequest* request,
                                      v1::CheckInResponse* response) {
  if (grpc::Status routed = shard_->UserCall(*context, *request); !routed.ok())
    return routed;
  return AnswerWithin(
      limits_->writes, *context,
      [&](const Cancellation&) { return check_in_->CheckIn(*request); },
      response);
}

}  // namespace portrait
