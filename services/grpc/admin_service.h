#ifndef PORTRAIT_SERVICES_GRPC_ADMIN_SERVICE_H_
#define PORTRAIT_SERVICES_GRPC_ADMIN_SERVICE_H_

#include "base/clock.h"
#include "portrait/v1/admin.grpc.pb.h"
#include "services/grpc/shard_guard.h"
#include "services/storage/rocksdb_store.h"

namespace portrait {

// Thread-safe. `store` may be null (a server on another store: checkpoints
// are FAILED_PRECONDITION); both must outlive it.
class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  AdminServiceImpl(RocksDbStore* store, const Clock* clock,
                   const ShardGuard* shard);

  grpc::Status CreateCheckpoint(
      grpc::ServerContext* context, const v1::CreateCheckpointRequest* request,
      v1::CreateCheckpointResponse* response) override;

 private:
  const ShardGuard* const shard_;
  RocksDbStore* const store_;
  const Clock* const clock_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_GRPC_ADMIN_SERVICE_H_
