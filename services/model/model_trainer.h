// ModelTrainer: the trained shared model (implicit ALS over users' engaged
// posts and brands) and its lineage. Train() takes a snapshot of the
// consented data from the PortraitIndex (only effective blocks: revoked and
// frozen data is not there), trains deterministically, persists the version
// (column models), swaps it into serving, and then marks DONE the
// "trained_model" component of every receipt that was waiting when the
// snapshot was taken. A restart serves the persisted version; receipts still
// waiting keep waiting for the next training.
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
#include "base/clock.h"
#include "models/ials.h"
#include "portrait/storage/records.pb.h"
#include "services/locking/user_locks.h"
#include "services/portrait/portrait_index.h"
#include "services/recommend/ranking_config.h"
#include "services/storage/store.h"

namespace portrait {

// A version in serving. Immutable.
struct ServingModel {
  // The rows [begin, end) of one kind of item. Labels are sorted and every
  // label of a kind starts with the kind's prefix, so each kind's rows are
  // contiguous.
  struct Rows {
    int32_t begin = 0;
    int32_t end = 0;
  };

  // The rows of `kind`'s items (empty if none).
  Rows RowsOf(v1::ItemKind kind) const;

  storage::ModelRecord lineage;  // item_labels and item_factors cleared.
  std::vector<std::string> item_labels;  // Sorted.
  std::vector<v1::ItemKind> item_kinds;  // LabelKind of each label.
  absl::flat_hash_map<std::string, int32_t> item_index;
  IalsModel model;
};

// The training data of one user: engaged labels and their weights, from the
// user's effective blocks: sum over engagement signals of the signal's
// weight times the events' weights (no time decay, so that a model is a
// function of the data alone). Sorted by label.
std::vector<std::pair<std::string, float>> TrainingItems(
    const UserPortrait& user, const RankingConfig& config);

// The training weight of one engaged label (see TrainingItems); 0 if none.
float TrainingWeight(const UserPortrait& user, const std::string& label,
                     const RankingConfig& config);

class ModelTrainer {
 public:
  // All pointers must outlive the trainer. Training solves rows on
  // `threads` threads (the factors do not depend on how many).
  ModelTrainer(Store* store, const Clock* clock, UserLocks* locks,
               PortraitIndex* index, const RankingConfig* config,
               IalsOptions options, int threads = 1);

  // Serves the persisted version, if any. If it was trained with these
  // options on exactly the index's current data (its input digest), no
  // training is due until the data changes. DATA_LOSS if it does not parse.
  // REQUIRES: the index is loaded.
  absl::Status Load();

  // Trains a new version now (see the class comment). Returns its lineage.
  // Errors: storage errors (the previous version keeps serving).
  absl::StatusOr<storage::ModelRecord> Train();

  // When the next training is due, in ms from now (0: now; -1: nothing to
  // do): receipts wait for a model (at least `debounce_ms` after the last
  // training, so that a burst of revocations costs one training), or there
  // is data and no model, or data changed and `retrain_after_ms` passed
  // since the last training.
  int64_t DueInMs(int64_t retrain_after_ms, int64_t debounce_ms) const;

  // The version in serving; nullptr before the first training.
  std::shared_ptr<const ServingModel> current() const;

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
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_MODEL_MODEL_TRAINER_H_
