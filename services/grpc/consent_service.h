// gRPC adapter of ConsentService over ConsentLedger.
#ifndef PORTRAIT_SERVICES_GRPC_CONSENT_SERVICE_H_
#define PORTRAIT_SERVICES_GRPC_CONSENT_SERVICE_H_

#include "portrait/v1/consent.grpc.pb.h"
#include "services/consent/consent_ledger.h"
#include "services/grpc/service_metrics.h"
#include "services/grpc/shard_guard.h"

namespace portrait {

// Thread-safe. `ledger` must outlive it.
class ConsentServiceImpl final : public v1::ConsentService::Service {
 public:
  ConsentServiceImpl(ConsentLedger* ledger, ServiceMetrics* metrics,
                     const ShardGuard* shard);

  grpc::Status SetConsent(grpc::ServerContext* context,
                          const v1::SetConsentRequest* request,
                          v1::SetConsentResponse* response) override;
  grpc::Status GetConsent(grpc::ServerContext* context,
                          const v1::GetConsentRequest* request,
                          v1::GetConsentResponse* response) override;
  grpc::Status GetConsentHistory(
      grpc::ServerContext* context, const v1::GetConsentHistoryRequest* request,
      v1::GetConsentHistoryResponse* response) override;
  grpc::Status GetErasureStatus(
      grpc::ServerContext* context, const v1::GetErasureStatusRequest* request,
      v1::GetErasureStatusResponse* response) override;

 private:
  const ShardGuard* const shard_;
  ConsentLedger* const ledger_;
  ServiceMetrics* const metrics_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_GRPC_CONSENT_SERVICE_H_
