// gRPC adapter of ShardService (between the shards of a cluster,
// docs/SCALING.md): a shard's contribution to the shared models. Called by
// the other shards directly, not through the proxy.
#ifndef PORTRAIT_SERVICES_GRPC_SHARD_SERVICE_H_
#define PORTRAIT_SERVICES_GRPC_SHARD_SERVICE_H_

#include "portrait/v1/shard.grpc.pb.h"
#include "services/cluster/peer_erasure.h"
#include "services/grpc/shard_guard.h"
#include "services/model/model_trainer.h"
#include "services/portrait/portrait_index.h"

namespace portrait {

// Thread-safe. The pointers must outlive it.
class ShardServiceImpl final : public v1::ShardService::Service {
 public:
  // `erasure` is null on a server that is not a shard. A contribution is
  // built at most once per `reuse_ms` (PortraitIndex::OwnContribution).
  ShardServiceImpl(PortraitIndex* index, const ShardGuard* shard,
                   PeerErasure* erasure, ModelTrainer* trainer,
                   int64_t reuse_ms);

  // Takes note of the version the asking shard serves (PeerErasure), and
  // trims the change log up to what every peer serves.
  // FAILED_PRECONDITION on a server that is not a shard; INVALID_ARGUMENT
  // if the asking shard's name is malformed or this shard's own.
  grpc::Status GetContribution(grpc::ServerContext* context,
                               const v1::GetContributionRequest* request,
                               v1::Contribution* response) override;

  // A step of the coordinator's training round (ModelTrainer::TrainStep).
  // FAILED_PRECONDITION on a server that is not a shard; INVALID_ARGUMENT
  // if the coordinator's name is malformed or this shard's own.
  grpc::Status TrainStep(grpc::ServerContext* context,
                         const v1::TrainStepRequest* request,
                         v1::TrainStepResponse* response) override;

  // The circles of the viewer's friends this shard holds (AnswerCircles).
  // FAILED_PRECONDITION on a server that is not a shard; INVALID_ARGUMENT
  // if the asking shard's name is malformed or this shard's own, or a field
  // is out of range.
  grpc::Status GetCircles(grpc::ServerContext* context,
                          const v1::GetCirclesRequest* request,
                          v1::GetCirclesResponse* response) override;

 private:
  // OK if `peer` names another shard and this server is a shard.
  absl::Status CheckPeer(const std::string& peer) const;

  PortraitIndex* const index_;
  const ShardGuard* const shard_;
  PeerErasure* const erasure_;
  ModelTrainer* const trainer_;
  const int64_t reuse_ms_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_GRPC_SHARD_SERVICE_H_
