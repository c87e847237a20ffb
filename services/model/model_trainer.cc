#include "services/model/model_trainer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/parallel_for.h"
#include "base/status_macros.h"
#include "portrait/v1/consent.pb.h"
#include "services/consent/consent_store.h"
#include "services/consent/erasure_components.h"
#include "services/storage/keys.h"

namespace portrait {
namespace {

constexpr absl::string_view kCurrentKey = "ials/current";

// What one training reads from the index, under its reader lock.
struct Snapshot {
  std::vector<std::string> item_labels;  // Sorted.
  std::vector<Interaction> interactions;
  int64_t users = 0;
  std::vector<std::string> covered;  // Receipts waiting at snapshot time.
  uint64_t generation = 0;
  uint64_t digest = 0;  // ModelRecord.input_digest
};

// FNV-1a, 64 bit.
class Fnv1a {
 public:
  void Add(absl::string_view bytes) {
    for (unsigned char c : bytes) hash_ = (hash_ ^ c) * 0x100000001b3ull;
  }
  uint64_t hash() const { return hash_; }

 private:
  uint64_t hash_ = 0xcbf29ce484222325ull;
};

// Adds one user's training items to the input digest.
void AddToDigest(const std::string& user_id,
                 const std::vector<std::pair<std::string, float>>& items,
                 Fnv1a* digest) {
  digest->Add(
      absl::string_view(user_id.c_str(), user_id.size() + 1));  // With NUL.
  for (const auto& [label, weight] : items) {
    digest->Add(absl::string_view(label.c_str(), label.size() + 1));
    uint32_t bits;
    std::memcpy(&bits, &weight, sizeof(bits));
    char bytes[4];
    for (int b = 0; b < 4; ++b) bytes[b] = static_cast<char>(bits >> (8 * b));
    digest->Add(absl::string_view(bytes, 4));
  }
}

// The users' ids, sorted.
std::vector<const std::string*> SortedUsers(const IndexState& state) {
  std::vector<const std::string*> users;
  users.reserve(state.users.size());
  for (const auto& [id, user] : state.users) users.push_back(&id);
  std::sort(users.begin(), users.end(),
            [](const std::string* a, const std::string* b) { return *a < *b; });
  return users;
}

// ModelRecord.input_digest of the index's current data, without keeping it.
uint64_t InputDigest(const IndexState& state, const RankingConfig& config) {
  Fnv1a digest;
  for (const std::string* id : SortedUsers(state)) {
    const auto items = TrainingItems(*state.User(*id), config);
    if (!items.empty()) AddToDigest(*id, items, &digest);
  }
  return digest.hash();
}

Snapshot TakeSnapshot(const IndexState& state, const RankingConfig& config) {
  Snapshot snapshot;
  snapshot.covered.assign(state.model_pending.begin(),
                          state.model_pending.end());
  snapshot.generation = state.generation;
  std::vector<std::vector<std::pair<std::string, float>>> rows;
  Fnv1a digest;
  for (const std::string* id : SortedUsers(state)) {
    auto items = TrainingItems(*state.User(*id), config);
    if (items.empty()) continue;
    AddToDigest(*id, items, &digest);
    rows.push_back(std::move(items));
  }
  snapshot.digest = digest.hash();
  for (const auto& row : rows) {
    for (const auto& [label, weight] : row)
      snapshot.item_labels.push_back(label);
  }
  std::sort(snapshot.item_labels.begin(), snapshot.item_labels.end());
  snapshot.item_labels.erase(
      std::unique(snapshot.item_labels.begin(), snapshot.item_labels.end()),
      snapshot.item_labels.end());
  absl::flat_hash_map<std::string, int32_t> index;
  for (size_t i = 0; i < snapshot.item_labels.size(); ++i) {
    index[snapshot.item_labels[i]] = static_cast<int32_t>(i);
  }
  for (size_t u = 0; u < rows.size(); ++u) {
    for (const auto& [label, weight] : rows[u]) {
      snapshot.interactions.push_back(
          {static_cast<int32_t>(u), index[label], weight});
    }
  }
  snapshot.users = static_cast<int64_t>(rows.size());
  return snapshot;
}

std::shared_ptr<ServingModel> MakeServing(storage::ModelRecord record,
                                          FactorMatrix factors,
                                          const IalsOptions& options) {
  // Built in place: the memo's lock cannot move.
  std::shared_ptr<ServingModel> serving(
      new ServingModel{storage::ModelRecord(),
                       {},
                       {},
                       {},
                       IalsModel(std::move(factors), options)});
  serving->item_labels.assign(record.item_labels().begin(),
                              record.item_labels().end());
  for (size_t i = 0; i < serving->item_labels.size(); ++i) {
    serving->item_index[serving->item_labels[i]] = static_cast<int32_t>(i);
    serving->item_kinds.push_back(LabelKind(serving->item_labels[i]));
  }
  record.clear_item_labels();
  record.clear_item_factors();
  serving->lineage = std::move(record);
  return serving;
}

// The options a record was trained with (what serving must fold in with).
IalsOptions RecordOptions(const storage::ModelRecord& record,
                          IalsOptions options) {
  options.factors = record.factors();
  options.iterations = record.iterations();
  options.regularization = record.regularization();
  options.regularization_exponent = record.regularization_exponent();
  options.alpha = record.alpha();
  options.confidence = ConfidenceFromProto(record.confidence());
  options.cg_steps = record.cg_steps();
  options.seed = record.seed();
  return options;
}

void SetRecordOptions(const IalsOptions& options,
                      storage::ModelRecord* record) {
  record->set_factors(options.factors);
  record->set_iterations(options.iterations);
  record->set_regularization(options.regularization);
  record->set_regularization_exponent(options.regularization_exponent);
  record->set_alpha(options.alpha);
  record->set_confidence(ConfidenceToProto(options.confidence));
  record->set_cg_steps(options.cg_steps);
  record->set_seed(options.seed);
}

bool SameOptions(const IalsOptions& a, const IalsOptions& b) {
  return a.factors == b.factors && a.iterations == b.iterations &&
         a.regularization == b.regularization &&
         a.regularization_exponent == b.regularization_exponent &&
         a.alpha == b.alpha && a.confidence == b.confidence &&
         a.cg_steps == b.cg_steps && a.seed == b.seed;
}

}  // namespace

ModelTrainer::ModelTrainer(Store* store, const Clock* clock, UserLocks* locks,
                           PortraitIndex* index, const RankingConfig* config,
                           IalsOptions options, int threads)
    : store_(store),
      clock_(clock),
      locks_(locks),
      index_(index),
      config_(config),
      options_(options),
      threads_(threads) {}

absl::Status ModelTrainer::Load() {
  absl::StatusOr<std::string> stored =
      store_->Get(Column::kModels, kCurrentKey);
  if (absl::IsNotFound(stored.status())) return absl::OkStatus();
  PORTRAIT_RETURN_IF_ERROR(stored.status());
  storage::ModelRecord record;
  if (!record.ParseFromString(*stored) || record.factors() < 1 ||
      record.item_factors().size() !=
          static_cast<size_t>(record.item_labels_size()) * record.factors() *
              sizeof(float)) {
    return absl::DataLossError("the stored model does not parse");
  }
  const IalsOptions options = RecordOptions(record, options_);
  FactorMatrix factors(record.item_labels_size(), record.factors());
  std::memcpy(factors.data(), record.item_factors().data(),
              record.item_factors().size());
  // Trained with today's options on exactly today's data: as good as a new
  // training, so none is due until the data changes. The digest walks every
  // user's data, so it is computed only when the options match.
  const bool same_options = SameOptions(options, options_);
  bool current = false;
  uint64_t generation = 0;
  if (same_options && record.input_digest() != 0) {
    index_->Read([&](const IndexState& state) {
      current = InputDigest(state, *config_) == record.input_digest();
      generation = state.generation;
    });
  }
  std::shared_ptr<ServingModel> serving =
      MakeServing(std::move(record), std::move(factors), options);
  absl::MutexLock lock(&mu_);
  trained_at_ms_ = serving->lineage.trained_at_ms();
  if (current) trained_generation_ = generation;
  current_ = std::move(serving);
  return absl::OkStatus();
}

absl::StatusOr<storage::ModelRecord> ModelTrainer::Train(
    const Cancellation& cancel) {
  const int64_t started_ms = clock_->NowMillis();
  const auto wall_start = std::chrono::steady_clock::now();
  Snapshot snapshot = index_->Read(
      [&](const IndexState& state) { return TakeSnapshot(state, *config_); });
  // Rows in chunks of 64: small enough to balance popular items' rows.
  const ParallelFor parallel =
      [this](int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
        ParallelForOnThreads(threads_, n, 64, fn);
      };
  IalsModel model = IalsModel::Train(
      static_cast<int>(snapshot.users),
      static_cast<int>(snapshot.item_labels.size()), snapshot.interactions,
      options_, parallel, [&] { return !cancel.Check().ok(); });
  // Called off: nothing was written, and the serving version stays.
  PORTRAIT_RETURN_IF_ERROR(cancel.Check());
  storage::ModelRecord record;
  {
    absl::MutexLock lock(&mu_);
    record.set_version(current_ == nullptr ? 1
                                           : current_->lineage.version() + 1);
  }
  record.set_trained_at_ms(started_ms);
  SetRecordOptions(options_, &record);
  record.set_users(snapshot.users);
  record.set_interactions(static_cast<int64_t>(snapshot.interactions.size()));
  for (const std::string& id : snapshot.covered)
    record.add_receipts_covered(id);
  for (const std::string& label : snapshot.item_labels)
    record.add_item_labels(label);
  const FactorMatrix& rows = model.item_factors();
  record.set_item_factors(std::string(
      reinterpret_cast<const char*>(rows.data()), rows.size() * sizeof(float)));
  record.set_input_digest(snapshot.digest);
  record.set_training_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - wall_start)
                             .count());
  PORTRAIT_RETURN_IF_ERROR(Persist(record));
  std::shared_ptr<ServingModel> serving =
      MakeServing(record, model.item_factors(), options_);
  {
    absl::MutexLock lock(&mu_);
    current_ = std::move(serving);
    trained_generation_ = snapshot.generation;
    trained_at_ms_ = started_ms;
  }
  // Only now does a version that excludes the covered revocations serve.
  const int64_t now_ms = clock_->NowMillis();
  for (const std::string& id : snapshot.covered) {
    PORTRAIT_RETURN_IF_ERROR(CompleteReceipt(id, now_ms));
  }
  index_->ForgetCovered(snapshot.covered);
  record.clear_item_labels();
  record.clear_item_factors();
  return record;
}

std::vector<ErasureDuty> ModelTrainer::Duties() const {
  return {{erasure::kTrainedModel, kDeadlineMs}};
}

void ModelTrainer::AddToCommit(const RevocationCommit& commit,
                               WriteBatch* batch) {
  if (commit.revocations.empty()) return;  // Nothing the model holds.
  storage::PendingModel waiting;
  waiting.set_user_id(commit.user_id);
  waiting.set_receipt_sequence(commit.receipt_sequence);
  batch->Put(Column::kMeta, PendingModelKey(commit.receipt_id),
             waiting.SerializeAsString());
}

absl::Status ModelTrainer::Persist(const storage::ModelRecord& record) {
  WriteBatch batch;
  batch.Put(Column::kModels, kCurrentKey, record.SerializeAsString());
  return store_->Write(batch, /*sync=*/true);
}

absl::Status ModelTrainer::CompleteReceipt(const std::string& receipt_id,
                                           int64_t now_ms) {
  std::string user;
  int64_t sequence = 0;
  PORTRAIT_RETURN_IF_ERROR(ParseReceiptId(receipt_id, &user, &sequence));
  UserLocks::Guard guard = locks_->Lock(user);
  return CompleteReceiptComponent(store_, user, sequence,
                                  erasure::kTrainedModel,
                                  PendingModelKey(receipt_id), now_ms);
}

int64_t ModelTrainer::DueInMs(int64_t retrain_after_ms,
                              int64_t debounce_ms) const {
  const auto [pending, generation, has_users] =
      index_->Read([](const IndexState& s) {
        return std::make_tuple(!s.model_pending.empty(), s.generation,
                               !s.users.empty());
      });
  absl::MutexLock lock(&mu_);
  if (current_ == nullptr) return pending || has_users ? 0 : -1;
  const int64_t since_training = clock_->NowMillis() - trained_at_ms_;
  if (pending) return std::max<int64_t>(0, debounce_ms - since_training);
  if (generation == trained_generation_) return -1;
  return std::max<int64_t>(0, retrain_after_ms - since_training);
}

int64_t ModelTrainer::Warm(const Cancellation& cancel) {
  const std::shared_ptr<const ServingModel> serving = current();
  if (serving == nullptr) return 0;
  {
    absl::MutexLock lock(&mu_);
    if (warm_version_ == serving->lineage.version()) return 0;
  }
  std::vector<std::string> users = index_->Read([](const IndexState& state) {
    std::vector<std::string> ids;
    for (const auto& [id, user] : state.users) {
      if (!user.engaged().empty()) ids.push_back(id);
    }
    return ids;
  });
  std::sort(users.begin(), users.end());
  const size_t n = config_->proto().candidates_per_source();
  std::atomic<bool> stopped{false};
  std::atomic<int64_t> warmed{0};
  // Small chunks: each holds the index's reader lock, which writers wait for.
  ParallelForOnThreads(
      threads_, static_cast<int64_t>(users.size()), 16,
      [&](int64_t begin, int64_t end) {
        if (stopped) return;
        if (!cancel.Check().ok()) {
          stopped = true;
          return;
        }
        index_->Read([&](const IndexState& state) {
          if (!state.model_pending.empty()) {
            stopped = true;  // A revocation waits: train first.
            return;
          }
          for (int64_t i = begin; i < end; ++i) {
            const UserPortrait* user = state.User(users[i]);
            if (user == nullptr) continue;
            serving->TopFor(users[i], *user, *config_, v1::ITEM_POST, n);
            ++warmed;
          }
        });
      });
  if (!stopped) {
    absl::MutexLock lock(&mu_);
    warm_version_ = serving->lineage.version();
  }
  return warmed;
}

std::shared_ptr<const ServingModel> ModelTrainer::current() const {
  absl::ReaderMutexLock lock(&mu_);
  return current_;
}

}  // namespace portrait
