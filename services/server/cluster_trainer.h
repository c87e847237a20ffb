// ClusterTrainer: trains the model over the users of every shard of a
// cluster (docs/SCALING.md, "The trained model"). It runs on the
// coordinating shard (the lowest --shard_name) and drives rounds through
// every shard's ModelTrainer::TrainStep: its own directly, the others' over
// ShardService.TrainStep.
//
// A round: BEGIN (each shard snapshots its consented training data and
// names its items); per iteration, each shard solves its own users against
// its items' factors and answers with per-item sums (models/ials.h), which
// the coordinator adds in shard-name order and solves the items from;
// FINISH (each shard stores and serves the version); COMMIT once every
// shard serves it (each completes the "trained_model" component of the
// receipts its snapshot covered). A shard that fails or cannot be reached
// ends the round: every shard keeps serving the version it had, no receipt
// completes, and the next round starts afresh. Two clusters of the same data
// and shards train the same factors.
//
// Not thread-safe: one caller (the maintenance thread).
#ifndef PORTRAIT_SERVICES_SERVER_CLUSTER_TRAINER_H_
#define PORTRAIT_SERVICES_SERVER_CLUSTER_TRAINER_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/cancellation.h"
#include "base/clock.h"
#include "models/ials.h"
#include "portrait/storage/records.pb.h"
#include "portrait/v1/shard.grpc.pb.h"
#include "services/model/model_trainer.h"
#include "services/server/peer_shard.h"

namespace portrait {

class ClusterTrainer {
 public:
  using Peer = PeerShard;

  // `own_name` must sort before every peer's name. `local` and `clock` must
  // outlive it. Factors go to a shard in calls of at most
  // `max_floats_per_call` floats (under every shard's message limit).
  ClusterTrainer(std::string own_name, ModelTrainer* local,
                 const std::vector<Peer>& peers,
                 const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                 const Clock* clock, IalsOptions options, int threads,
                 int max_floats_per_call = 1 << 18);

  // When the next round is due, in ms from now (0: now; -1: nothing to do),
  // from every shard's status: the first round of this run, if the cluster
  // holds users and this shard serves no model (one it serves, loaded at
  // start, counts as the last round's, started at its trained_at_ms);
  // receipts wait on a shard, or a shard serves another version
  // than the last round's (restarted on an older one, or a round failed),
  // at least `debounce_ms` after the last round started; a shard's data
  // changed since the last round and `retrain_after_ms` passed. Errors: a
  // shard's, naming it.
  absl::StatusOr<int64_t> DueInMs(int64_t retrain_after_ms,
                                  int64_t debounce_ms);

  // Runs one round over every shard and returns the version's lineage
  // (receipts_covered left empty: each shard completes its own). Errors: a
  // shard's, naming it; `cancel`'s.
  absl::StatusOr<storage::ModelRecord> Train(const Cancellation& cancel);

 private:
  struct Shard {
    std::string name;
    std::unique_ptr<v1::ShardService::Stub> stub;  // nullptr: this shard.
    uint64_t generation = 0;                       // At the last round's BEGIN.
  };

  // Sends `request` (for this round) to shard `s`.
  absl::StatusOr<v1::TrainStepResponse> Step(size_t s,
                                             v1::TrainStepRequest request,
                                             const Cancellation& cancel);
  // Sends rows of `factors` (and, on the first call, `first`'s other
  // fields) to shard `s` in calls of at most max_floats_per_call_ floats;
  // `labels`, if given, are the rows' labels. Returns the last answer.
  absl::StatusOr<v1::TrainStepResponse> SendRows(
      size_t s, const v1::TrainStepRequest& first, const FactorMatrix& factors,
      const std::vector<std::string>* labels, const Cancellation& cancel);

  // Sends every shard the rows of `global` for its items (rows[s]) with
  // `first`'s phase and fields, all shards at once, and returns their
  // answers in shard order, each checked to hold `per_item` floats per item
  // (ITERATE's sums or products, APPLY's products).
  absl::StatusOr<std::vector<v1::TrainStepResponse>> AskAll(
      const v1::TrainStepRequest& first, const FactorMatrix& global,
      const std::vector<std::vector<int32_t>>& rows, int per_item,
      const Cancellation& cancel);

  const std::string own_name_;
  ModelTrainer* const local_;
  const Clock* const clock_;
  const IalsOptions options_;
  const int threads_;
  const int max_floats_per_call_;
  std::vector<Shard> shards_;  // This shard first, then by name.
  int64_t rounds_ = 0;
  int64_t last_round_ms_ = -1;  // When the last round started; -1: none.
  int64_t version_ = 0;         // The last round's.
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_SERVER_CLUSTER_TRAINER_H_
