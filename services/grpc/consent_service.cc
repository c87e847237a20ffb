#include "services/grpc/consent_service.h"

#include <utility>

#include "services/grpc/status_conversion.h"

namespace portrait {

ConsentServiceImpl::ConsentServiceImpl(ConsentLedger* ledger)
    : ledger_(ledger) {}

grpc::Status ConsentServiceImpl::SetConsent(
    grpc::ServerContext*, const v1::SetConsentRequest* request,
    v1::SetConsentResponse* response) {
  return AnswerWith(ledger_->SetConsent(*request), response);
}

grpc::Status ConsentServiceImpl::GetConsent(
    grpc::ServerContext*, const v1::GetConsentRequest* request,
    v1::GetConsentResponse* response) {
  return AnswerWith(ledger_->GetConsent(request->user_id()),
                    response->mutable_consent());
}

grpc::Status ConsentServiceImpl::GetConsentHistory(
    grpc::ServerContext*, const v1::GetConsentHistoryRequest* request,
    v1::GetConsentHistoryResponse* response) {
  return AnswerWith(ledger_->GetHistory(*request), response);
}

grpc::Status ConsentServiceImpl::GetErasureStatus(
    grpc::ServerContext*, const v1::GetErasureStatusRequest* request,
    v1::GetErasureStatusResponse* response) {
  return AnswerWith(ledger_->GetErasureStatus(request->receipt_id()), response);
}

}  // namespace portrait
