#include "services/grpc/shard_service.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "base/json_log.h"
#include "base/status_macros.h"
#include "services/grpc/status_conversion.h"
#include "services/recommend/candidate_sources.h"
#include "services/storage/ids.h"

namespace portrait {

ShardServiceImpl::ShardServiceImpl(PortraitIndex* index,
                                   const ShardGuard* shard,
                                   PeerErasure* erasure, ModelTrainer* trainer,
                                   int64_t reuse_ms)
    : index_(index),
      shard_(shard),
      erasure_(erasure),
      trainer_(trainer),
      reuse_ms_(reuse_ms) {}

absl::Status ShardServiceImpl::CheckPeer(const std::string& peer) const {
  const std::string& own = shard_->shard_name();
  if (own.empty() || erasure_ == nullptr) {
    return absl::FailedPreconditionError(
        "this server is not a shard of a cluster (no --shard_name)");
  }
  PORTRAIT_RETURN_IF_ERROR(ValidateId(peer, "shard"));
  if (peer == own) {
    return absl::InvalidArgumentError(
        absl::StrCat("shard: is ", own, ", this shard's own name"));
  }
  return absl::OkStatus();
}

grpc::Status ShardServiceImpl::TrainStep(grpc::ServerContext* context,
                                         const v1::TrainStepRequest* request,
                                         v1::TrainStepResponse* response) {
  return AnswerWith(
      *context,
      [&](const Cancellation& cancel) -> absl::StatusOr<v1::TrainStepResponse> {
        PORTRAIT_RETURN_IF_ERROR(CheckPeer(request->shard()));
        return trainer_->TrainStep(*request, cancel);
      },
      response);
}

grpc::Status ShardServiceImpl::GetCircles(grpc::ServerContext* context,
                                          const v1::GetCirclesRequest* request,
                                          v1::GetCirclesResponse* response) {
  return AnswerWith(
      *context,
      [&](const Cancellation&) -> absl::StatusOr<v1::GetCirclesResponse> {
        PORTRAIT_RETURN_IF_ERROR(CheckPeer(request->shard()));
        return AnswerCircles(*index_, *request);
      },
      response);
}

grpc::Status ShardServiceImpl::GetContribution(
    grpc::ServerContext* context, const v1::GetContributionRequest* request,
    v1::Contribution* response) {
  return AnswerWith(
      *context,
      [&](const Cancellation&) -> absl::StatusOr<v1::Contribution> {
        PORTRAIT_RETURN_IF_ERROR(CheckPeer(request->shard()));
        const std::string& own = shard_->shard_name();
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
        // The changes every peer serves are no delta's business any more.
        index_->TrimOwnChanges(erasure_->ServedByAll());
        // Unchanged: the asker serves what this shard would send.
        const bool same_run =
            request->applied_instance() == erasure_->instance();
        v1::Contribution contribution;
        std::optional<v1::Contribution> delta;
        if (same_run && request->applied_version() == index_->OwnVersion()) {
          contribution.set_unchanged(true);
        } else if (same_run && (delta = index_->OwnChangesSince(
                                    request->applied_version()))) {
          // The asker serves an earlier version of this run: what changed.
          contribution = *std::move(delta);
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
