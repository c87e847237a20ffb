#include "services/grpc/profile_service.h"

#include "services/grpc/access_control.h"
#include "services/grpc/status_conversion.h"
#include "services/profile/event_summary.h"
#include "services/profile/profile_builder.h"
#include "services/rights/history.h"

namespace portrait {

ProfileServiceImpl::ProfileServiceImpl(
    Store* store, const PortraitIndex* index, const Clock* clock,
    ConsentLedger* ledger, const UserDataExporter* exporter, CallLimits* limits,
    ServiceMetrics* metrics, const ShardGuard* shard)
    : shard_(shard),
      store_(store),
      index_(index),
      clock_(clock),
      ledger_(ledger),
      exporter_(exporter),
      limits_(limits),
      metrics_(metrics) {}

grpc::Status ProfileServiceImpl::GetProfile(
    grpc::ServerContext* context, const v1::GetProfileRequest* request,
    v1::GetProfileResponse* response) {
  if (grpc::Status routed = shard_->UserCall(*context, *request); !routed.ok())
    return routed;
  return AnswerWithin(
      limits_->reads, *context,
      [&](const Cancellation&) {
        return BuildProfile(*index_, *clock_, request->user_id());
      },
      response);
}

grpc::Status ProfileServiceImpl::GetEventSummary(
    grpc::ServerContext* context, const v1::GetEventSummaryRequest* request,
    v1::GetEventSummaryResponse* response) {
  if (grpc::Status routed = shard_->UserCall(*context, *request); !routed.ok())
    return routed;
  return AnswerWithin(
      limits_->reads, *context,
      [&](const Cancellation& call) {
        return SummarizeEvents(store_, request->user_id(), call);
      },
      response);
}

grpc::Status ProfileServiceImpl::ExportUserData(
    grpc::ServerContext* context, const v1::ExportUserDataRequest* request,
    grpc::ServerWriter<v1::ExportPart>* writer) {
  if (grpc::Status routed = shard_->UserCall(*context, *request); !routed.ok())
    return routed;
  absl::StatusOr<PerCallerLimiter::Slot> stream =
      limits_->streams.Enter(CallerIdentity(*context));
  if (!stream.ok()) return ToGrpcStatus(stream.status());
  absl::StatusOr<CallLimiter::Slot> slot = limits_->reads.Enter();
  if (!slot.ok()) return ToGrpcStatus(slot.status());
  const CallCancellation call(*context);
  absl::StatusOr<std::vector<v1::ExportPart>> parts =
      exporter_->Export(request->user_id(), call);
  if (!parts.ok()) return ToGrpcStatus(parts.status());
  for (const v1::ExportPart& part : *parts) {
    if (!writer->Write(part)) break;  // The caller went away.
  }
  return grpc::Status::OK;
}

grpc::Status ProfileServiceImpl::GetHistory(
    grpc::ServerContext* context, const v1::GetHistoryRequest* request,
    v1::GetHistoryResponse* response) {
  if (grpc::Status routed = shard_->UserCall(*context, *request); !routed.ok())
    return routed;
  return AnswerWithin(
      limits_->reads, *context,
      [&](const Cancellation&) {
        return ReadHistory(store_, ledger_, *request);
      },
      response);
}

grpc::Status ProfileServiceImpl::DeleteRecord(
    grpc::ServerContext* context, const v1::DeleteRecordRequest* request,
    v1::DeleteRecordResponse* response) {
  if (grpc::Status routed = shard_->UserCall(*context, *request); !routed.ok())
    return routed;
  return AnswerWith(
      *context,
      [&](const Cancellation&) {
        absl::StatusOr<v1::DeleteRecordResponse> answer =
            ledger_->DeleteRecord(*request, CallerIdentity(*context));
        if (answer.ok() && !answer->replayed()) {
          metrics_->CountDeletion("record");
        }
        return answer;
      },
      response);
}

grpc::Status ProfileServiceImpl::DeleteUser(
    grpc::ServerContext* context, const v1::DeleteUserRequest* request,
    v1::DeleteUserResponse* response) {
  if (grpc::Status routed = shard_->UserCall(*context, *request); !routed.ok())
    return routed;
  return AnswerWith(
      *context,
      [&](const Cancellation&) {
        absl::StatusOr<v1::DeleteUserResponse> answer =
            ledger_->DeleteUser(*request, CallerIdentity(*context));
        if (answer.ok() && !answer->replayed()) {
          metrics_->CountDeletion("account");
        }
        return answer;
      },
      response);
}

}  // namespace portrait
