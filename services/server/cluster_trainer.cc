#include "services/server/cluster_trainer.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "base/parallel_for.h"
#include "base/status_macros.h"

namespace portrait {
namespace {

// One step may solve a shard's users: generous, but a hung shard ends the
// round.
constexpr auto kStepDeadline = std::chrono::minutes(10);

// `status` from shard `name`, saying so.
absl::Status FromShard(const std::string& name, const absl::Status& status) {
  return absl::Status(status.code(),
                      absl::StrCat("shard ", name, ": ", status.message()));
}

// A shard's answer of the wrong shape.
absl::Status Malformed(const std::string& name, absl::string_view what) {
  return absl::InternalError(absl::StrCat("shard ", name, ": answered ", what));
}

}  // namespace

ClusterTrainer::ClusterTrainer(
    std::string own_name, ModelTrainer* local, const std::vector<Peer>& peers,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    const Clock* clock, IalsOptions options, int threads,
    int max_floats_per_call)
    : own_name_(std::move(own_name)),
      local_(local),
      clock_(clock),
      options_(options),
      threads_(threads),
      max_floats_per_call_(std::max(max_floats_per_call, options.factors)) {
  shards_.push_back({own_name_, nullptr});
  std::vector<Peer> sorted = peers;
  std::sort(sorted.begin(), sorted.end(),
            [](const Peer& a, const Peer& b) { return a.name < b.name; });
  for (const Peer& peer : sorted) {
    shards_.push_back({peer.name, PeerStub(peer, credentials)});
  }
}

absl::StatusOr<v1::TrainStepResponse> ClusterTrainer::Step(
    size_t s, v1::TrainStepRequest request, const Cancellation& cancel) {
  PORTRAIT_RETURN_IF_ERROR(cancel.Check());
  request.set_shard(own_name_);
  Shard& shard = shards_[s];
  if (shard.stub == nullptr) {
    absl::StatusOr<v1::TrainStepResponse> answer =
        local_->TrainStep(request, cancel);
    if (!answer.ok()) return FromShard(shard.name, answer.status());
    return answer;
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kStepDeadline);
  v1::TrainStepResponse response;
  const grpc::Status status =
      shard.stub->TrainStep(&context, request, &response);
  if (!status.ok()) {
    return FromShard(
        shard.name,
        absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                     status.error_message()));
  }
  return response;
}

absl::StatusOr<v1::TrainStepResponse> ClusterTrainer::SendRows(
    size_t s, const v1::TrainStepRequest& first, const FactorMatrix& factors,
    const std::vector<std::string>* labels, const Cancellation& cancel) {
  const int64_t k = factors.cols();
  const int64_t per_call = max_floats_per_call_ / k;
  const int64_t rows = factors.rows();
  int64_t row = 0;
  do {
    v1::TrainStepRequest request;
    if (row == 0) request = first;
    request.set_phase(first.phase());
    request.set_round(first.round());
    request.set_first_row(static_cast<int32_t>(row));
    const int64_t end = std::min(rows, row + per_call);
    request.mutable_factors()->Assign(factors.data() + row * k,
                                      factors.data() + end * k);
    if (labels != nullptr) {
      for (int64_t r = row; r < end; ++r) request.add_item_labels((*labels)[r]);
    }
    PORTRAIT_ASSIGN_OR_RETURN(v1::TrainStepResponse response,
                              Step(s, std::move(request), cancel));
    row = end;
    if (row == rows) {
      if (!response.complete()) {
        return Malformed(shards_[s].name, "that the rows are incomplete");
      }
      return response;
    }
  } while (true);
}

absl::StatusOr<std::vector<v1::TrainStepResponse>> ClusterTrainer::AskAll(
    const v1::TrainStepRequest& first, const FactorMatrix& global,
    const std::vector<std::vector<int32_t>>& rows, int per_item,
    const Cancellation& cancel) {
  std::vector<absl::StatusOr<v1::TrainStepResponse>> answers(
      shards_.size(), absl::UnknownError("not asked"));
  auto ask = [&](size_t s) {
    FactorMatrix mine(rows[s].size(), global.cols());
    for (size_t i = 0; i < rows[s].size(); ++i) {
      mine.row(i) = global.row(rows[s][i]);
    }
    answers[s] = SendRows(s, first, mine, nullptr, cancel);
  };
  std::vector<std::thread> remote;
  for (size_t s = 1; s < shards_.size(); ++s) remote.emplace_back(ask, s);
  ask(0);
  for (std::thread& thread : remote) thread.join();
  std::vector<v1::TrainStepResponse> out;
  for (size_t s = 0; s < shards_.size(); ++s) {
    PORTRAIT_RETURN_IF_ERROR(answers[s].status());
    const bool sums =
        first.phase() == v1::TRAIN_PHASE_ITERATE && options_.cg_steps == 0;
    const int64_t floats =
        sums ? answers[s]->sums_size() : answers[s]->products_size();
    if (floats != static_cast<int64_t>(rows[s].size()) * per_item) {
      return Malformed(shards_[s].name,
                       absl::StrCat(floats, " floats for ", rows[s].size(),
                                    " items of ", per_item));
    }
    out.push_back(*std::move(answers[s]));
  }
  return out;
}

absl::StatusOr<int64_t> ClusterTrainer::DueInMs(int64_t retrain_after_ms,
                                                int64_t debounce_ms) {
  if (last_round_ms_ < 0) {
    // A restart need not train at once: the model served is a round's.
    if (const std::shared_ptr<const ServingModel> serving = local_->current()) {
      last_round_ms_ = serving->lineage.trained_at_ms();
      version_ = serving->lineage.version();
    }
  }
  bool waiting = false, users = false, other_version = false, changed = false;
  for (size_t s = 0; s < shards_.size(); ++s) {
    v1::TrainStepRequest request;
    request.set_phase(v1::TRAIN_PHASE_STATUS);
    PORTRAIT_ASSIGN_OR_RETURN(
        const v1::TrainStepResponse status,
        Step(s, std::move(request), Cancellation::Never()));
    waiting |= status.receipts_waiting();
    users |= status.users() > 0;
    other_version |= status.model_version() != version_;
    changed |= status.generation() != shards_[s].generation;
  }
  if (last_round_ms_ < 0) return waiting || users ? 0 : -1;
  // Rounds, failed ones included, start at least `debounce_ms` apart.
  const int64_t since = clock_->NowMillis() - last_round_ms_;
  if (waiting) return std::max<int64_t>(0, debounce_ms - since);
  if (!users) return -1;
  if (other_version) return std::max<int64_t>(0, debounce_ms - since);
  if (changed) return std::max<int64_t>(0, retrain_after_ms - since);
  return -1;
}

absl::StatusOr<storage::ModelRecord> ClusterTrainer::Train(
    const Cancellation& cancel) {
  const int64_t started_ms = clock_->NowMillis();
  const auto wall_start = std::chrono::steady_clock::now();
  const int k = options_.factors;
  const std::string round =
      absl::StrCat(own_name_, "-", started_ms, "-", ++rounds_);
  last_round_ms_ = started_ms;

  // BEGIN: every shard's items, merged into the model's sorted labels.
  std::vector<std::vector<std::string>> shard_labels(shards_.size());
  std::vector<uint64_t> generations(shards_.size());
  int64_t users = 0, interactions = 0, version = version_;
  for (size_t s = 0; s < shards_.size(); ++s) {
    v1::TrainStepRequest request;
    request.set_phase(v1::TRAIN_PHASE_BEGIN);
    request.set_round(round);
    *request.mutable_options() = ModelOptionsToProto(options_);
    PORTRAIT_ASSIGN_OR_RETURN(v1::TrainStepResponse begun,
                              Step(s, std::move(request), cancel));
    shard_labels[s].assign(begun.item_labels().begin(),
                           begun.item_labels().end());
    if (!std::is_sorted(shard_labels[s].begin(), shard_labels[s].end())) {
      return Malformed(shards_[s].name, "item labels out of order");
    }
    generations[s] = begun.generation();
    users += begun.users();
    interactions += begun.interactions();
    version = std::max(version, begun.model_version());
  }
  ++version;
  std::vector<std::string> labels;
  for (const auto& some : shard_labels) {
    labels.insert(labels.end(), some.begin(), some.end());
  }
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  absl::flat_hash_map<std::string, int32_t> row_of;
  for (size_t i = 0; i < labels.size(); ++i) {
    row_of[labels[i]] = static_cast<int32_t>(i);
  }
  // Each shard's items' rows in the model.
  std::vector<std::vector<int32_t>> rows(shards_.size());
  for (size_t s = 0; s < shards_.size(); ++s) {
    for (const std::string& label : shard_labels[s]) {
      rows[s].push_back(row_of[label]);
    }
  }

  const ParallelFor parallel =
      [this](int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
        ParallelForOnThreads(threads_, n, 64, fn);
      };
  const int width = ItemSums::Width(k);
  const bool exact = options_.cg_steps == 0;
  const int64_t n = static_cast<int64_t>(labels.size());
  // Adds each shard's `count` floats per item, from `offset` in each item's
  // `per_item` floats of its sums (or products), into the rows of `total`.
  auto add_rows = [&](const std::vector<v1::TrainStepResponse>& answers,
                      bool sums, int per_item, int offset, int count,
                      FactorMatrix* total) {
    for (size_t s = 0; s < shards_.size(); ++s) {
      const float* floats =
          sums ? answers[s].sums().data() : answers[s].products().data();
      for (size_t i = 0; i < rows[s].size(); ++i) {
        total->row(rows[s][i]).head(count) +=
            Eigen::Map<const Eigen::RowVectorXf>(floats + i * per_item + offset,
                                                 count);
      }
    }
  };
  FactorMatrix items = InitialItemFactors(static_cast<int>(n), options_);
  for (int it = 0; it < options_.iterations; ++it) {
    const Eigen::MatrixXf gram = items.transpose() * items;
    v1::TrainStepRequest first;
    first.set_phase(v1::TRAIN_PHASE_ITERATE);
    first.set_round(round);
    for (int r = 0; r < k; ++r) {
      for (int c = 0; c < k; ++c) first.add_gram(gram(r, c));
    }
    PORTRAIT_ASSIGN_OR_RETURN(
        std::vector<v1::TrainStepResponse> answers,
        AskAll(first, items, rows, exact ? width : 2 * k, cancel));
    ItemSums total(static_cast<int>(n), k);
    for (size_t s = 0; s < shards_.size(); ++s) {
      const v1::TrainStepResponse& answer = answers[s];
      if (answer.observations_size() != static_cast<int>(rows[s].size()) ||
          answer.gram_size() != k * k) {
        return Malformed(
            shards_[s].name,
            absl::StrCat(answer.observations_size(), " observations for ",
                         rows[s].size(), " items"));
      }
      for (size_t i = 0; i < rows[s].size(); ++i) {
        total.observations[rows[s][i]] += answer.observations(i);
      }
      total.gram +=
          Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic,
                                         Eigen::RowMajor>>(answer.gram().data(),
                                                           k, k);
    }
    if (exact) {
      add_rows(answers, true, width, 0, width, &total.sums);
      SolveItems(total, options_, parallel, &items);
      continue;
    }
    FactorMatrix rhs = FactorMatrix::Zero(n, k);
    FactorMatrix products = FactorMatrix::Zero(n, k);
    add_rows(answers, false, 2 * k, 0, k, &rhs);
    add_rows(answers, false, 2 * k, k, k, &products);
    ItemConjugateGradient cg(options_, std::move(items), total.observations,
                             total.gram, rhs, products);
    for (int step = 0; step < options_.cg_steps; ++step) {
      v1::TrainStepRequest apply;
      apply.set_phase(v1::TRAIN_PHASE_APPLY);
      apply.set_round(round);
      PORTRAIT_ASSIGN_OR_RETURN(
          answers, AskAll(apply, cg.directions(), rows, k, cancel));
      products.setZero();
      add_rows(answers, false, k, 0, k, &products);
      cg.Step(products);
    }
    items = cg.items();
  }

  storage::ModelRecord lineage;
  lineage.set_version(version);
  lineage.set_trained_at_ms(started_ms);
  lineage.set_users(users);
  lineage.set_interactions(interactions);
  lineage.set_training_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - wall_start)
                              .count());
  v1::TrainStepRequest finish;
  finish.set_phase(v1::TRAIN_PHASE_FINISH);
  finish.set_round(round);
  finish.set_rows(static_cast<int32_t>(labels.size()));
  finish.set_version(version);
  finish.set_trained_at_ms(started_ms);
  finish.set_users(users);
  finish.set_interactions(interactions);
  finish.set_training_ms(lineage.training_ms());
  for (size_t s = 0; s < shards_.size(); ++s) {
    PORTRAIT_RETURN_IF_ERROR(
        SendRows(s, finish, items, &labels, cancel).status());
  }
  // Every shard serves the version: their receipts may complete.
  for (size_t s = 0; s < shards_.size(); ++s) {
    v1::TrainStepRequest commit;
    commit.set_phase(v1::TRAIN_PHASE_COMMIT);
    commit.set_round(round);
    PORTRAIT_RETURN_IF_ERROR(
        Step(s, std::move(commit), Cancellation::Never()).status());
  }
  version_ = version;
  for (size_t s = 0; s < shards_.size(); ++s) {
    shards_[s].generation = generations[s];
  }
  return lineage;
}

}  // namespace portrait
