#include "services/grpc/consent_service.h"

#include <utility>

#include "services/grpc/access_control.h"
#include "services/grpc/status_conversion.h"

namespace portrait {

ConsentServiceImpl::ConsentServiceImpl(ConsentLedger* ledger,
                                       ServiceMetrics* metrics,
                                       const ShardGuard* shard)
    : shard_(shard), ledger_(ledger), metrics_(metrics) {}

grpc::Status ConsentServiceImpl::SetConsent(
    grpc::ServerContext* context, const v1::SetConsentRequest* request,
    v1::SetConsentResponse* response) {
  if (grpc::Status routed = shard_->UserCall(*context, *request); !routed.ok())
    return routed;
  return AnswerWith(
      *context,
      [&](const Cancellation&) {
        absl::StatusOr<v1::SetConsentResponse> answer =
            ledger_->SetConsent(*request, CallerIdentity(*context));
        if (answer.ok()) metrics_->CountConsent(*request, *answer);
        return answer;
      },
      response);
}

grpc::Status ConsentServiceImpl::GetConsent(
    grpc::ServerContext* context, const v1::GetConsentRequest* request,
    v1::GetConsentResponse* response) {
  if (grpc::Status routed = shard_->UserCall(*context, *request); !routed.ok())
    return routed;
  return AnswerWith(
      *context,
      [&](const Cancellation&) {
        return ledger_->GetConsent(request->user_id());
      },
      response->mutable_consent());
}

grpc::Status ConsentServiceImpl::GetConsentHistory(
    grpc::ServerContext* context, const v1::GetConsentHistoryRequest* request,
    v1::GetConsentHistoryResponse* response) {
  if (grpc::Status routed = shard_->UserCall(*context, *request); !routed.ok())
    return routed;
  return AnswerWith(
      *context,
      [&](const Cancellation&) { return ledger_->GetHistory(*request); },
      response);
}

grpc::Status ConsentServiceImpl::GetErasureStatus(
    grpc::ServerContext* context, const v1::GetErasureStatusRequest* request,
    v1::GetErasureStatusResponse* response) {
  if (grpc::Status routed = shard_->UserCall(*context, *request); !routed.ok())
    return routed;
  return AnswerWith(
      *context,
      [&](const Cancellation&) {
        return ledger_->GetErasureStatus(request->receipt_id());
      },
      response);
}

}  // namespace portrait
