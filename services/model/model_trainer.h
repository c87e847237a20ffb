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
#include "services/consent/consent_observer.h"
#include "services/locking/user_locks.h"
#include "services/model/serving_model.h"
#include "services/portrait/portrait_index.h"
#include "services/storage/store.h"

namespace portrait {

class ModelTrainer : public ConsentObserver {
 public:
  // All pointers must outlive the trainer. Training solves rows on
  // `threads` threads (the factors do not depend on how many).
  ModelTrainer(Store* store, const Clock* clock, UserLocks* locks,
               PortraitIndex* index, const RankingConfig* config,
               IalsOptions options, int threads = 1);

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

  // The version in serving; nullptr before the first training.
  std::shared_ptr<const ServingModel> current() const;

  // Computes the FEED (post) EMBEDDING candidates of every user under the
  // version in serving into its memo (ServingModel::Top), on the training
  // threads, unless that version is already warm. Stops early, to be called
  // again, when a revocation waits for a new version or `cancel` fires.
  // Returns how many users it computed.
  int64_t Warm(const Cancellation& cancel = Cancellation::Never());

 private:
  absl::Status Persist(const storage::ModelRecord& record);
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
  int64_t trained_at_ms_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t warm_version_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_MODEL_MODEL_TRAINER_H_
