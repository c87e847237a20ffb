#include "services/grpc/shard_service.h"

#include "absl/strings/str_cat.h"
#include "base/json_log.h"
#include "services/grpc/status_conversion.h"
#include "services/storage/ids.h"

namespace portrait {

ShardServiceImpl::ShardServiceImpl(const PortraitIndex* index,
                                   const ShardGuard* shard,
                                   PeerErasure* erasure, int64_t reuse_ms)
    : index_(index), shard_(shard), erasure_(erasure), reuse_ms_(reuse_ms) {}

grpc::Status ShardServiceImpl::GetContribution(
    grpc::ServerContext* context, const v1::GetContributionRequest* request,
    v1::Contribution* response) {
  return AnswerWith(
      *context,
      [&](const Cancellation&) -> absl::StatusOr<v1::Contribution> {
        const std::string& own = shard_->shard_name();
        if (own.empty() || erasure_ == nullptr) {
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
        if (absl::Status noted = erasure_->Reported(request->shard(),
                                                    request->applied_instance(),
                                                    request->applied_version());
            !noted.ok()) {
          // The receipts wait for the next report; the counts still go.
          JsonLog("peer_receipts_failed")
              .Add("peer", request->shard())
              .Add("code", static_cast<int>(noted.code()))
              .Add("error", noted.message())
              .Write();
        }
        // Unchanged: the asker serves what this shard would send.
        const bool same_run =
            request->applied_instance() == erasure_->instance();
        v1::Contribution contribution;
        if (same_run && request->applied_version() == index_->OwnVersion()) {
          contribution.set_unchanged(true);
        } else {
          std::shared_ptr<const v1::Contribution> built =
              index_->OwnContribution(reuse_ms_);
          if (same_run && request->applied_version() == built->version()) {
            contribution.set_unchanged(true);
          } else {
            contribution = *built;
          }
        }
        if (contribution.unchanged()) {
          contribution.set_version(request->applied_version());
        }
        contribution.set_shard(own);
        contribution.set_instance(erasure_->instance());
        return contribution;
      },
      response);
}

}  // namespace portrait
