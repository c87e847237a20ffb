// A trained model version in serving, and the exact EMBEDDING candidates of
// users under it.
//
// A user's EMBEDDING candidates are a function of the version and of the
// user's own consented engaged items (ModelInput): the user vector is the
// exact fold-in over them, every item of the kind is scored, the engaged
// ones are left out (IalsModel::TopItems). ServingModel::TopFor memoises
// that function per user, keyed by the whole input, so a memoised list is
// served only for exactly the input it was computed from: any change to the
// user's data (an event, a revocation) computes it again, and a new version
// starts with an empty memo. The input itself is computed again only when
// the portrait's revision changed since the list was stored. Memoising
// changes when the work is done, never the answer.
//
// Thread-safe: immutable but for the memo, which has its own lock.
#ifndef PORTRAIT_SERVICES_MODEL_SERVING_MODEL_H_
#define PORTRAIT_SERVICES_MODEL_SERVING_MODEL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "config/ranking_config.h"
#include "models/ials.h"
#include "portrait/storage/records.pb.h"
#include "portrait/v1/common.pb.h"
#include "services/consent/signal_set.h"
#include "services/portrait/user_portrait.h"

namespace portrait {

// What a user's EMBEDDING candidates depend on, besides the version.
struct ModelInput {
  // (row, training weight) of the engaged items the version knows whose
  // training weight is > 0, by row: the fold-in's input.
  std::vector<std::pair<int32_t, float>> seen;
  // Rows of every engaged item the version knows, sorted: never candidates.
  std::vector<int32_t> engaged;
  // The signals the seen items were engaged through.
  SignalSet signals;

  bool operator==(const ModelInput& other) const {
    return seen == other.seen && engaged == other.engaged &&
           signals == other.signals;
  }
};

// Rows and their float scores, best first.
using ScoredRows = std::vector<std::pair<int32_t, float>>;

// A user's EMBEDDING candidates of one kind and the signals of the items
// they were computed from (ModelInput::signals).
struct UserTop {
  std::shared_ptr<const ScoredRows> rows;
  SignalSet signals;
};

// Memoised TopFor() results, by user and kind. Internally synchronised.
class EmbeddingMemo {
 public:
  // The list stored for (user_id, kind) for `n` rows if it was computed,
  // or last found current, for the portrait revision `revision`.
  std::optional<UserTop> Find(const std::string& user_id, v1::ItemKind kind,
                              uint64_t revision, size_t n) const;
  // The list stored for (user_id, kind) if it was computed from `input` for
  // `n` rows; if so, it is now also current for `revision`.
  std::shared_ptr<const ScoredRows> Find(const std::string& user_id,
                                         v1::ItemKind kind,
                                         const ModelInput& input,
                                         uint64_t revision, size_t n);
  void Store(const std::string& user_id, v1::ItemKind kind, ModelInput input,
             uint64_t revision, size_t n,
             std::shared_ptr<const ScoredRows> top);
  size_t size() const;

 private:
  struct Entry {
    ModelInput input;
    uint64_t revision = 0;
    size_t n = 0;
    std::shared_ptr<const ScoredRows> top;
  };

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

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

  // The user's input to this version, from the portrait's effective blocks.
  ModelInput InputOf(const UserPortrait& user,
                     const RankingConfig& config) const;

  // The `n` best rows of `kind` for the user's input (TopItems over the
  // kind's rows for the user vector folded in from InputOf(user).seen, its
  // engaged rows excluded), memoised under `user_id`. Empty if the input
  // has no seen item.
  UserTop TopFor(const std::string& user_id, const UserPortrait& user,
                 const RankingConfig& config, v1::ItemKind kind,
                 size_t n) const;

  storage::ModelRecord lineage;  // item_labels and item_factors cleared.
  std::vector<std::string> item_labels;  // Sorted.
  std::vector<v1::ItemKind> item_kinds;  // LabelKind of each label.
  absl::flat_hash_map<std::string, int32_t> item_index;
  IalsModel model;
  mutable EmbeddingMemo memo;
};

// The training weight of one engaged label: the sum over the user's
// engagement signals of the signal's weight times the events' weights (no
// time decay, so that a model is a function of the data alone); 0 if none.
float TrainingWeight(const UserPortrait& user, const std::string& label,
                     const RankingConfig& config);

// The training data of one user: engaged labels with training weight > 0,
// sorted by label.
std::vector<std::pair<std::string, float>> TrainingItems(
    const UserPortrait& user, const RankingConfig& config);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_MODEL_SERVING_MODEL_H_
