#include "services/grpc/admin_service.h"

#include "absl/strings/match.h"
#include "services/grpc/status_conversion.h"

namespace portrait {

AdminServiceImpl::AdminServiceImpl(RocksDbStore* store, const Clock* clock,
                                   const ShardGuard* shard)
    : shard_(shard), store_(store), clock_(clock) {}

grpc::Status AdminServiceImpl::CreateCheckpoint(
    grpc::ServerContext* context, const v1::CreateCheckpointRequest* request,
    v1::CreateCheckpointResponse* response) {
  if (grpc::Status routed = shard_->ShardCall(*context); !routed.ok())
    return routed;
  return AnswerWith(
      *context,
      [&](const Cancellation&) -> absl::StatusOr<v1::CreateCheckpointResponse> {
        const std::string& directory = request->directory();
        if (!absl::StartsWith(directory, "/") || directory.size() < 2) {
          return absl::InvalidArgumentError(
              "directory: must be an absolute path on the server's machine");
        }
        if (store_ == nullptr) {
          return absl::FailedPreconditionError(
              "checkpoints need the RocksDB store; this server runs on "
              "another");
        }
        const int64_t now_ms = clock_->NowMillis();
        absl::Status written = store_->Checkpoint(directory);
        if (!written.ok()) return written;
        v1::CreateCheckpointResponse answer;
        answer.set_directory(directory);
        answer.set_created_at_ms(now_ms);
        return answer;
      },
      response);
}

}  // namespace portrait
