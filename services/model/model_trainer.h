// ModelTrainer: the trained shared model (implicit ALS over users' engaged
// posts and brands) and its lineage. Train() takes a snapshot of the
// consented data from the PortraitIndex (only effective blocks: revoked and
// frozen data is not there), trains deterministically, persists the version
// (column models), swaps it into serving, and then marks DONE the
// "trained_model" component of every receipt that was waiting when the
// snapshot was taken. As a ConsentObserver it puts that component, PENDING,
// on every revocation's receipt, and records the wait in the commit. A restart
// serves the persisted version; receipts still waiting keep waiting for the
// next training.
//
// In a cluster (docs/SCALING.md) the shards train one model together: the
// coordinating shard (ClusterTrainer) drives rounds, and every shard, the
// coordinator included, takes part through TrainStep(). Train() and
// DueInMs() are then not used.
//
// Thread-safe. Train() runs on the maintenance thread; current() from any.
#ifndef PORTRAIT_SERVICES_MODEL_MODEL_TRAINER_H_
#define PORTRAIT_SERVICES_MODEL_MODEL_TRAINER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "base/cancellation.h"
#include "base/clock.h"
#include "config/ranking_config.h"
#include "models/ials.h"
#include "portrait/storage/records.pb.h"
#include "portrait/v1/shard.pb.h"
#include "services/consent/consent_observer.h"
#include "services/locking/user_locks.h"
#include "services/model/serving_model.h"
#include "services/portrait/portrait_index.h"
#include "services/storage/store.h"

namespace portrait {

// The wire form of training options (ShardService.TrainStep), and back.
// INVALID_ARGUMENT names the field out of range ("options.factors: ...").
v1::ModelOptions ModelOptionsToProto(const IalsOptions& options);
absl::StatusOr<IalsOptions> ModelOptionsFromProto(
    const v1::ModelOptions& options);

class ModelTrainer : public ConsentObserver {
 public:
  // All pointers must outlive the trainer. Training solves rows on
  // `threads` threads (the factors do not depend on how many).
  ModelTrainer(Store* store, const Clock* clock, UserLocks* locks,
               PortraitIndex* index, const RankingConfig* config,
               IalsOptions options, int threads = 1);
  ~ModelTrainer() override;

  // How long a revocation may wait for a version trained without it (the
  // deadline on its receipt's "trained_model" component).
  static constexpr int64_t kDeadlineMs = 60 * 1000;
  std::vector<ErasureDuty> Duties() const override;
  void AddToCommit(const RevocationCommit& commit, WriteBatch* batch) override;

  // Serves the persisted version, if any. If it was trained with these
  // options on exactly the index's current data (its input digest), no
  // training is due until the data changes. DATA_LOSS if it does not parse.
  // REQUIRES: the index is loaded.
  absl::Status Load();

  // Trains a new version now (see the class comment). Returns its lineage.
  // Errors: storage errors; `cancel`'s error if it fires before the version
  // is written (then nothing is). The previous version keeps serving.
  absl::StatusOr<storage::ModelRecord> Train(
      const Cancellation& cancel = Cancellation::Never());

  // When the next training is due, in ms from now (0: now; -1: nothing to
  // do): receipts wait for a model (at least `debounce_ms` after the last
  // training, so that a burst of revocations costs one training), or there
  // is data and no model, or data changed and `retrain_after_ms` passed
  // since the last training.
  int64_t DueInMs(int64_t retrain_after_ms, int64_t debounce_ms) const;

  // Answers one step of a cluster training round (ShardService.TrainStep,
  // proto/portrait/v1/shard.proto), one step at a time. The round's
  // snapshot and user factors stay in memory until its COMMIT or the BEGIN
  // of another round. Errors: INVALID_ARGUMENT naming the field out of
  // range; FAILED_PRECONDITION for another round than the current one or a
  // phase out of order; `cancel`'s; storage errors (FINISH).
  absl::StatusOr<v1::TrainStepResponse> TrainStep(
      const v1::TrainStepRequest& request,
      const Cancellation& cancel = Cancellation::Never());

  // Whether a version serves that was trained on exactly the data the index
  // holds now (no change since its snapshot).
  bool Current() const;

  // The version in serving; nullptr before the first training.
  std::shared_ptr<const ServingModel> current() const;

  // Computes the FEED (post) EMBEDDING candidates of every user under the
  // version in serving into its memo (ServingModel::Top), on the training
  // threads, unless that version is already warm. Stops early, to be called
  // again, when a revocation waits for a new version or `cancel` fires.
  // Returns how many users it computed.
  int64_t Warm(const Cancellation& cancel = Cancellation::Never());

 private:
  struct Round;

  // Solves rows on the training threads.
  ParallelFor Parallel() const;
  absl::Status Persist(const storage::ModelRecord& record);
  // Persists `record` (with its labels and factors), then serves it as
  // trained at `started_ms` on data of `generation`.
  absl::Status Install(const storage::ModelRecord& record, FactorMatrix factors,
                       uint64_t generation, int64_t started_ms);
  absl::StatusOr<v1::TrainStepResponse> Begin(
      const v1::TrainStepRequest& request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(round_mu_);
  absl::StatusOr<v1::TrainStepResponse> Iterate(
      const v1::TrainStepRequest& request, Round* round);
  absl::StatusOr<v1::TrainStepResponse> Finish(
      const v1::TrainStepRequest& request, Round* round);
  absl::Status Commit(Round* round);
  absl::Status CompleteReceipt(const std::string& receipt_id, int64_t now_ms);

  Store* const store_;
  const Clock* const clock_;
  UserLocks* const locks_;
  PortraitIndex* const index_;
  const RankingConfig* const config_;
  const IalsOptions options_;
  const int threads_;

  mutable absl::Mutex mu_;
  std::shared_ptr<const ServingModel> current_ ABSL_GUARDED_BY(mu_);
  uint64_t trained_generation_ ABSL_GUARDED_BY(mu_) = 0;
  // Whether trained_generation_ is the serving version's (not so for a
  // loaded version whose input digest differs from the data).
  bool generation_known_ ABSL_GUARDED_BY(mu_) = false;
  int64_t trained_at_ms_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t warm_version_ ABSL_GUARDED_BY(mu_) = 0;

  // The cluster training round in progress; held through each step.
  absl::Mutex round_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::unique_ptr<Round> round_ ABSL_GUARDED_BY(round_mu_);
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_MODEL_MODEL_TRAINER_H_
