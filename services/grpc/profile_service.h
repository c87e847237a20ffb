// gRPC adapter of ProfileService.
#ifndef PORTRAIT_SERVICES_GRPC_PROFILE_SERVICE_H_
#define PORTRAIT_SERVICES_GRPC_PROFILE_SERVICE_H_

#include "base/clock.h"
#include "portrait/v1/profile.grpc.pb.h"
#include "services/consent/consent_ledger.h"
#include "services/grpc/call_limiter.h"
#include "services/grpc/service_metrics.h"
#include "services/grpc/shard_guard.h"
#include "services/portrait/portrait_index.h"
#include "services/rights/user_export.h"
#include "services/storage/store.h"

namespace portrait {

// Thread-safe. All pointers must outlive it.
class ProfileServiceImpl final : public v1::ProfileService::Service {
 public:
  ProfileServiceImpl(Store* store, const PortraitIndex* index,
                     const Clock* clock, ConsentLedger* ledger,
                     const UserDataExporter* exporter, CallLimits* limits,
                     ServiceMetrics* metrics, const ShardGuard* shard);

  grpc::Status GetProfile(grpc::ServerContext* context,
                          const v1::GetProfileRequest* request,
                          v1::GetProfileResponse* response) override;

  grpc::Status GetEventSummary(grpc::ServerContext* context,
                               const v1::GetEventSummaryRequest* request,
                               v1::GetEventSummaryResponse* response) override;
  grpc::Status ExportUserData(
      grpc::ServerContext* context, const v1::ExportUserDataRequest* request,
      grpc::ServerWriter<v1::ExportPart>* writer) override;
  grpc::Status GetHistory(grpc::ServerContext* context,
                          const v1::GetHistoryRequest* request,
                          v1::GetHistoryResponse* response) override;
  // Like revocations, never limited.
  grpc::Status DeleteRecord(grpc::ServerContext* context,
                            const v1::DeleteRecordRequest* request,
                            v1::DeleteRecordResponse* response) override;
  grpc::Status DeleteUser(grpc::ServerContext* context,
                          const v1::DeleteUserRequest* request,
                          v1::DeleteUserResponse* response) override;

 private:
  const ShardGuard* const shard_;
  Store* const store_;
  const PortraitIndex* const index_;
  const Clock* const clock_;
  ConsentLedger* const ledger_;
  const UserDataExporter* const exporter_;
  CallLimits* const limits_;
  ServiceMetrics* const metrics_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_GRPC_PROFILE_SERVICE_H_
