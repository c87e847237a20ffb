#include "services/grpc/shard_service.h"

#include "absl/strings/str_cat.h"
#include "services/grpc/status_conversion.h"
#include "services/storage/ids.h"

namespace portrait {

ShardServiceImpl::ShardServiceImpl(const PortraitIndex* index,
                                   const ShardGuard* shard)
    : index_(index), shard_(shard) {}

grpc::Status ShardServiceImpl::GetContribution(
    grpc::ServerContext* context, const v1::GetContributionRequest* request,
    v1::Contribution* response) {
  return AnswerWith(
      *context,
      [&](const Cancellation&) -> absl::StatusOr<v1::Contribution> {
        const std::string& own = shard_->shard_name();
        if (own.empty()) {
          return absl::FailedPreconditionError(
              "this server is not a shard of a cluster (no --shard_name)");
        }
        if (absl::Status valid = ValidateId(request->shard(), "shard");
            !valid.ok()) {
          return valid;
        }
        if (request->shard() == own) {
          return absl::InvalidArgumentError(
              absl::StrCat("shard: is ", own, ", this shard's own name"));
        }
        v1::Contribution contribution = index_->OwnContribution();
        contribution.set_shard(own);
        return contribution;
      },
      response);
}

}  // namespace portrait
