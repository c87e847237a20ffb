// gRPC adapter of ProfileService.
#ifndef PORTRAIT_SERVICES_GRPC_PROFILE_SERVICE_H_
#define PORTRAIT_SERVICES_GRPC_PROFILE_SERVICE_H_

#include "portrait/v1/profile.grpc.pb.h"
#include "services/storage/store.h"

namespace portrait {

// Thread-safe. `store` must outlive it.
class ProfileServiceImpl final : public v1::ProfileService::Service {
 public:
  explicit ProfileServiceImpl(Store* store);

  grpc::Status GetEventSummary(grpc::ServerContext* context,
                               const v1::GetEventSummaryRequest* request,
                               v1::GetEventSummaryResponse* response) override;

 private:
  Store* const store_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_GRPC_PROFILE_SERVICE_H_
