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

// The training options a message holds: a stored ModelRecord (what serving
// must fold in with) or the wire's ModelOptions, whose fields have the same
// names.
template <typename Message>
IalsOptions OptionsOf(const Message& message) {
  IalsOptions options;
  options.factors = message.factors();
  options.iterations = message.iterations();
  options.regularization = message.regularization();
  options.regularization_exponent = message.regularization_exponent();
  options.alpha = message.alpha();
  options.confidence = ConfidenceFromProto(message.confidence());
  options.cg_steps = message.cg_steps();
  options.seed = message.seed();
  return options;
}

template <typename Message>
void SetOptions(const IalsOptions& options, Message* message) {
  message->set_factors(options.factors);
  message->set_iterations(options.iterations);
  message->set_regularization(options.regularization);
  message->set_regularization_exponent(options.regularization_exponent);
  message->set_alpha(options.alpha);
  message->set_confidence(ConfidenceToProto(options.confidence));
  message->set_cg_steps(options.cg_steps);
  message->set_seed(options.seed);
}

bool SameOptions(const IalsOptions& a, const IalsOptions& b) {
  return a.factors == b.factors && a.iterations == b.iterations &&
         a.regularization == b.regularization &&
         a.regularization_exponent == b.regularization_exponent &&
         a.alpha == b.alpha && a.confidence == b.confidence &&
         a.cg_steps == b.cg_steps && a.seed == b.seed;
}

absl::Status OutOfRange(absl::string_view field, double value,
                        absl::string_view range) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": is ", value, ", must be ", range));
}

}  // namespace

v1::ModelOptions ModelOptionsToProto(const IalsOptions& options) {
  v1::ModelOptions out;
  SetOptions(options, &out);
  return out;
}

absl::StatusOr<IalsOptions> ModelOptionsFromProto(
    const v1::ModelOptions& options) {
  constexpr int kMaxFactors = 1024, kMaxSteps = 1000;
  if (options.factors() < 1 || options.factors() > kMaxFactors) {
    return OutOfRange("options.factors", options.factors(), "1 to 1024");
  }
  if (options.iterations() < 1 || options.iterations() > kMaxSteps) {
    return OutOfRange("options.iterations", options.iterations(), "1 to 1000");
  }
  if (options.cg_steps() < 0 || options.cg_steps() > kMaxSteps) {
    return OutOfRange("options.cg_steps", options.cg_steps(), "0 to 1000");
  }
  for (const auto& [field, value] :
       {std::pair{"options.regularization", options.regularization()},
        std::pair{"options.regularization_exponent",
                  options.regularization_exponent()},
        std::pair{"options.alpha", options.alpha()}}) {
    if (!(value >= 0 && value <= 1e6)) {
      return OutOfRange(field, value, "0 to 1e6");
    }
  }
  if (options.confidence() != v1::CONFIDENCE_LINEAR &&
      options.confidence() != v1::CONFIDENCE_LOG) {
    return OutOfRange("options.confidence", options.confidence(),
                      "CONFIDENCE_LINEAR or CONFIDENCE_LOG");
  }
  return OptionsOf(options);
}

// A cluster training round on this shard (TrainStep).
struct ModelTrainer::Round {
  std::string id;
  IalsOptions options;
  Snapshot snapshot;
  IalsRows by_user, by_item;  // By snapshot user and item row.
  FactorMatrix users;         // This shard's users' factors.
  // ITERATE and APPLY: rows of the snapshot's items (factors, directions),
  // how many were received, and the Gram matrix of every item's factors.
  FactorMatrix rows;
  int32_t received = 0;
  Eigen::MatrixXf gram;
  bool solved = false;  // An ITERATE solved the users.
  // FINISH: the version received so far, and whether it serves.
  storage::ModelRecord record;
  FactorMatrix model;
  int32_t model_received = 0;
  bool serving = false;
};

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

ModelTrainer::~ModelTrainer() = default;

ParallelFor ModelTrainer::Parallel() const {
  // Rows in chunks of 64: small enough to balance popular items' rows.
  return [this](int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
    ParallelForOnThreads(threads_, n, 64, fn);
  };
}

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
  const IalsOptions options = OptionsOf(record);
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
  if (current) {
    trained_generation_ = generation;
    generation_known_ = true;
  }
  current_ = std::move(serving);
  return absl::OkStatus();
}

absl::StatusOr<storage::ModelRecord> ModelTrainer::Train(
    const Cancellation& cancel) {
  const int64_t started_ms = clock_->NowMillis();
  const auto wall_start = std::chrono::steady_clock::now();
  Snapshot snapshot = index_->Read(
      [&](const IndexState& state) { return TakeSnapshot(state, *config_); });
  const ParallelFor parallel = Parallel();
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
  SetOptions(options_, &record);
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
  PORTRAIT_RETURN_IF_ERROR(
      Install(record, model.item_factors(), snapshot.generation, started_ms));
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

absl::Status ModelTrainer::Install(const storage::ModelRecord& record,
                                   FactorMatrix factors, uint64_t generation,
                                   int64_t started_ms) {
  PORTRAIT_RETURN_IF_ERROR(Persist(record));
  std::shared_ptr<ServingModel> serving =
      MakeServing(record, std::move(factors), OptionsOf(record));
  absl::MutexLock lock(&mu_);
  current_ = std::move(serving);
  trained_generation_ = generation;
  generation_known_ = true;
  trained_at_ms_ = started_ms;
  return absl::OkStatus();
}

absl::StatusOr<v1::TrainStepResponse> ModelTrainer::TrainStep(
    const v1::TrainStepRequest& request, const Cancellation& cancel) {
  PORTRAIT_RETURN_IF_ERROR(cancel.Check());
  absl::MutexLock lock(&round_mu_);
  switch (request.phase()) {
    case v1::TRAIN_PHASE_STATUS: {
      v1::TrainStepResponse response;
      index_->Read([&](const IndexState& state) {
        response.set_generation(state.generation);
        response.set_receipts_waiting(!state.model_pending.empty());
        response.set_users(static_cast<int64_t>(state.users.size()));
      });
      if (std::shared_ptr<const ServingModel> model = current()) {
        response.set_model_version(model->lineage.version());
      }
      return response;
    }
    case v1::TRAIN_PHASE_BEGIN:
      return Begin(request);
    case v1::TRAIN_PHASE_ITERATE:
    case v1::TRAIN_PHASE_APPLY:
    case v1::TRAIN_PHASE_FINISH:
    case v1::TRAIN_PHASE_COMMIT:
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("phase: is ", request.phase(), ", not a phase"));
  }
  if (round_ == nullptr || round_->id != request.round()) {
    return absl::FailedPreconditionError(
        absl::StrCat("round: is \"", request.round(), "\", but ",
                     round_ == nullptr ? "no round is in progress"
                                       : "another round is in progress"));
  }
  if (request.phase() == v1::TRAIN_PHASE_ITERATE ||
      request.phase() == v1::TRAIN_PHASE_APPLY) {
    return Iterate(request, round_.get());
  }
  if (request.phase() == v1::TRAIN_PHASE_FINISH) {
    return Finish(request, round_.get());
  }
  PORTRAIT_RETURN_IF_ERROR(Commit(round_.get()));
  round_.reset();
  return v1::TrainStepResponse();
}

absl::StatusOr<v1::TrainStepResponse> ModelTrainer::Begin(
    const v1::TrainStepRequest& request) {
  if (request.round().empty()) {
    return absl::InvalidArgumentError("round: is empty");
  }
  PORTRAIT_ASSIGN_OR_RETURN(IalsOptions options,
                            ModelOptionsFromProto(request.options()));
  round_.reset();  // Its memory is free before the snapshot's is taken.
  auto round = std::make_unique<Round>();
  round->id = request.round();
  round->options = options;
  round->snapshot = index_->Read(
      [&](const IndexState& state) { return TakeSnapshot(state, *config_); });
  const Snapshot& snapshot = round->snapshot;
  round->by_user.resize(snapshot.users);
  round->by_item.resize(snapshot.item_labels.size());
  AddToRows(snapshot.interactions, &round->by_user, &round->by_item);
  round->users = FactorMatrix::Zero(snapshot.users, options.factors);
  v1::TrainStepResponse response;
  response.set_generation(snapshot.generation);
  response.set_receipts_waiting(!snapshot.covered.empty());
  if (std::shared_ptr<const ServingModel> model = current()) {
    response.set_model_version(model->lineage.version());
  }
  for (const std::string& label : snapshot.item_labels) {
    response.add_item_labels(label);
  }
  response.set_users(snapshot.users);
  response.set_interactions(static_cast<int64_t>(snapshot.interactions.size()));
  round_ = std::move(round);
  return response;
}

namespace {

// Checks that a request's `factors` are whole rows that continue the
// `received` rows of `total`: rows [first_row, first_row + count).
absl::StatusOr<int32_t> RowsOf(const v1::TrainStepRequest& request, int factors,
                               int32_t received, int32_t total) {
  if (request.factors_size() % factors != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("factors: holds ", request.factors_size(),
                     " floats, not a multiple of the ", factors, " factors"));
  }
  const int32_t count = request.factors_size() / factors;
  if (request.first_row() != 0 && request.first_row() != received) {
    return absl::FailedPreconditionError(
        absl::StrCat("first_row: is ", request.first_row(), ", but ", received,
                     " rows were received (rows go in order, from 0)"));
  }
  if (count > total - request.first_row()) {
    return absl::InvalidArgumentError(
        absl::StrCat("factors: rows ", request.first_row(), " to ",
                     request.first_row() + count, " of ", total, " rows"));
  }
  return count;
}

// Copies `count` rows of `from` into `to` from row `first`.
void CopyRows(const google::protobuf::RepeatedField<float>& from, int32_t first,
              int32_t count, FactorMatrix* to) {
  std::copy(from.begin(), from.begin() + count * to->cols(),
            to->data() + static_cast<int64_t>(first) * to->cols());
}

}  // namespace

absl::StatusOr<v1::TrainStepResponse> ModelTrainer::Iterate(
    const v1::TrainStepRequest& request, Round* round) {
  const bool apply = request.phase() == v1::TRAIN_PHASE_APPLY;
  const IalsOptions& options = round->options;
  const int k = options.factors;
  if (apply && (options.cg_steps == 0 || !round->solved)) {
    return absl::FailedPreconditionError(
        options.cg_steps == 0
            ? "phase: APPLY, but the round solves exactly (cg_steps 0)"
            : "phase: APPLY before the round's first ITERATE");
  }
  const int32_t items =
      static_cast<int32_t>(round->snapshot.item_labels.size());
  PORTRAIT_ASSIGN_OR_RETURN(const int32_t count,
                            RowsOf(request, k, round->received, items));
  if (request.first_row() == 0) {
    if (!apply && request.gram_size() != k * k) {
      return absl::InvalidArgumentError(absl::StrCat(
          "gram: holds ", request.gram_size(), " floats, not ", k, " x ", k));
    }
    if (!apply) {
      round->gram =
          Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic,
                                         Eigen::RowMajor>>(
              request.gram().data(), k, k);
    }
    round->rows.resize(items, k);
  }
  CopyRows(request.factors(), request.first_row(), count, &round->rows);
  round->received = request.first_row() + count;
  v1::TrainStepResponse response;
  if (round->received < items) return response;
  round->received = 0;
  response.set_complete(true);
  const ParallelFor parallel = Parallel();
  auto add = [](const FactorMatrix& m,
                google::protobuf::RepeatedField<float>* out) {
    out->Add(m.data(), m.data() + m.size());
  };
  if (apply) {
    add(ItemProducts(round->by_item, round->users, round->rows, options,
                     parallel),
        response.mutable_products());
    return response;
  }
  // The rows are the items' factors: solve the users against them.
  SolveRows(round->by_user, round->rows, round->gram, options, parallel,
            &round->users);
  round->solved = true;
  for (const auto& entries : round->by_item) {
    response.add_observations(static_cast<int32_t>(entries.size()));
  }
  const Eigen::MatrixXf gram = round->users.transpose() * round->users;
  for (int r = 0; r < k; ++r) {
    for (int c = 0; c < k; ++c) response.add_gram(gram(r, c));
  }
  if (options.cg_steps == 0) {
    add(SumItems(round->by_item, round->users, options, parallel).sums,
        response.mutable_sums());
    return response;
  }
  FactorMatrix rhs;
  const FactorMatrix products = ItemProducts(
      round->by_item, round->users, round->rows, options, parallel, &rhs);
  FactorMatrix both(items, 2 * k);
  both << rhs, products;
  add(both, response.mutable_products());
  return response;
}

absl::StatusOr<v1::TrainStepResponse> ModelTrainer::Finish(
    const v1::TrainStepRequest& request, Round* round) {
  const int k = round->options.factors;
  if (request.first_row() == 0) {
    if (request.rows() < 0) {
      return OutOfRange("rows", request.rows(), ">= 0");
    }
    if (request.version() < 1) {
      return OutOfRange("version", request.version(), ">= 1");
    }
    storage::ModelRecord& record = round->record;
    record.Clear();
    record.set_version(request.version());
    record.set_trained_at_ms(request.trained_at_ms());
    SetOptions(round->options, &record);
    record.set_users(request.users());
    record.set_interactions(request.interactions());
    record.set_training_ms(request.training_ms());
    for (const std::string& id : round->snapshot.covered) {
      record.add_receipts_covered(id);
    }
    round->model.resize(request.rows(), k);
    round->model_received = 0;
    round->serving = false;
  }
  PORTRAIT_ASSIGN_OR_RETURN(const int32_t count,
                            RowsOf(request, k, round->model_received,
                                   static_cast<int32_t>(round->model.rows())));
  if (request.item_labels_size() != count) {
    return absl::InvalidArgumentError(
        absl::StrCat("item_labels: holds ", request.item_labels_size(),
                     " labels for ", count, " rows"));
  }
  storage::ModelRecord& record = round->record;
  for (int i = 0; i < count; ++i) {
    const std::string& label = request.item_labels(i);
    if (record.item_labels_size() > 0 &&
        !(record.item_labels(record.item_labels_size() - 1) < label)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "item_labels[", i, "]: \"", label, "\" is not after the previous"));
    }
    record.add_item_labels(label);
  }
  CopyRows(request.factors(), request.first_row(), count, &round->model);
  round->model_received = request.first_row() + count;
  v1::TrainStepResponse response;
  if (round->model_received < round->model.rows()) return response;
  record.set_item_factors(
      std::string(reinterpret_cast<const char*>(round->model.data()),
                  round->model.size() * sizeof(float)));
  PORTRAIT_RETURN_IF_ERROR(Install(record, std::move(round->model),
                                   round->snapshot.generation,
                                   record.trained_at_ms()));
  round->record.Clear();
  round->serving = true;
  response.set_complete(true);
  return response;
}

absl::Status ModelTrainer::Commit(Round* round) {
  if (!round->serving) {
    return absl::FailedPreconditionError(
        "phase: COMMIT before the round's version serves (FINISH)");
  }
  const int64_t now_ms = clock_->NowMillis();
  for (const std::string& id : round->snapshot.covered) {
    PORTRAIT_RETURN_IF_ERROR(CompleteReceipt(id, now_ms));
  }
  index_->ForgetCovered(round->snapshot.covered);
  return absl::OkStatus();
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
  if (generation_known_ && generation == trained_generation_) return -1;
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

bool ModelTrainer::Current() const {
  const uint64_t generation =
      index_->Read([](const IndexState& state) { return state.generation; });
  absl::MutexLock lock(&mu_);
  return generation_known_ && trained_generation_ == generation;
}

std::shared_ptr<const ServingModel> ModelTrainer::current() const {
  absl::ReaderMutexLock lock(&mu_);
  return current_;
}

}  // namespace portrait
