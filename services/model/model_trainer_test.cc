// ModelTrainer's schedule across a restart: a persisted version trained on
// exactly the current data with the same options needs no training; changed
// data, other options, or a version without an input digest do.
#include "services/model/model_trainer.h"

#include <atomic>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/cancellation.h"
#include "base/clock.h"
#include "config/ranking_config.h"
#include "gtest/gtest.h"
#include "portrait/v1/consent.pb.h"
#include "services/consent/erasure_components.h"
#include "services/consent/policy.h"
#include "services/consent/shipped_policy.h"
#include "services/locking/user_locks.h"
#include "services/portrait/portrait_index.h"
#include "services/portrait/test_events.h"
#include "services/storage/memory_store.h"

namespace portrait {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;
constexpr int64_t kRetrainAfter = 600'000;

IalsOptions Small() {
  IalsOptions options;
  options.factors = 4;
  return options;
}

class ModelTrainerTest : public ::testing::Test {
 protected:
  ModelTrainerTest()
      : policy_(*ConsentPolicy::FromText(kShippedConsentPolicy)),
        index_(&store_, &clock_, &policy_, &RankingConfig::Shipped()) {
    for (int u = 0; u < 6; ++u) {
      for (int p = 0; p < 4; ++p) Like(absl::StrCat("u", u), (u + p) % 7);
    }
  }

  void Like(const std::string& user, int post) {
    const v1::Event event =
        PostLike(absl::StrCat("e", next_++), user, post, kNow - 1000);
    ASSERT_TRUE(index_.OnEventsStored({&event}).ok());
  }

  // A trainer as a restarted server makes one: over the same store and
  // index, loading the persisted version.
  std::unique_ptr<ModelTrainer> Restarted(IalsOptions options = Small()) {
    auto trainer = std::make_unique<ModelTrainer>(
        &store_, &clock_, &locks_, &index_, &RankingConfig::Shipped(), options);
    EXPECT_TRUE(trainer->Load().ok());
    EXPECT_NE(trainer->current(), nullptr);
    return trainer;
  }

  // Trains and persists a version, then lets the retraining period pass.
  storage::ModelRecord TrainAndWait() {
    ModelTrainer trainer(&store_, &clock_, &locks_, &index_,
                         &RankingConfig::Shipped(), Small());
    absl::StatusOr<storage::ModelRecord> record = trainer.Train();
    EXPECT_TRUE(record.ok()) << record.status();
    clock_.AdvanceMillis(2 * kRetrainAfter);
    return record.ok() ? *record : storage::ModelRecord();
  }

  MemoryStore store_;
  FakeClock clock_{kNow};
  UserLocks locks_;
  const ConsentPolicy policy_;
  PortraitIndex index_;
  int next_ = 0;
};

TEST_F(ModelTrainerTest, UnchangedDataNeedsNoTrainingAfterRestart) {
  const storage::ModelRecord record = TrainAndWait();
  EXPECT_NE(record.input_digest(), 0u);
  auto trainer = Restarted();
  EXPECT_EQ(trainer->DueInMs(kRetrainAfter, 0), -1);
  EXPECT_TRUE(trainer->Current());
  // New data makes training due again.
  Like("u0", 6);
  EXPECT_EQ(trainer->DueInMs(kRetrainAfter, 0), 0);
  EXPECT_FALSE(trainer->Current());
  ASSERT_TRUE(trainer->Train().ok());
  EXPECT_TRUE(trainer->Current());
}

TEST_F(ModelTrainerTest, DataChangedBeforeRestartNeedsTraining) {
  TrainAndWait();
  Like("u1", 6);
  const auto trainer = Restarted();
  EXPECT_EQ(trainer->DueInMs(kRetrainAfter, 0), 0);
  EXPECT_FALSE(trainer->Current());
}

TEST_F(ModelTrainerTest, OtherOptionsNeedTraining) {
  TrainAndWait();
  IalsOptions other = Small();
  other.factors = 5;
  EXPECT_EQ(Restarted(other)->DueInMs(kRetrainAfter, 0), 0);
  // Also over an index just loaded, whose data generation is the first.
  PortraitIndex loaded(&store_, &clock_, &policy_, &RankingConfig::Shipped());
  ASSERT_TRUE(loaded.Load().ok());
  ModelTrainer trainer(&store_, &clock_, &locks_, &loaded,
                       &RankingConfig::Shipped(), other);
  ASSERT_TRUE(trainer.Load().ok());
  EXPECT_EQ(trainer.DueInMs(kRetrainAfter, 0), 0);
  EXPECT_FALSE(trainer.Current());
}

TEST_F(ModelTrainerTest, EveryHyperParameterIsPartOfTheVersion) {
  TrainAndWait();
  IalsOptions log = Small();
  log.confidence = IalsConfidence::kLog;
  EXPECT_EQ(Restarted(log)->DueInMs(kRetrainAfter, 0), 0);
  IalsOptions scaled = Small();
  scaled.regularization_exponent = 0.5f;
  EXPECT_EQ(Restarted(scaled)->DueInMs(kRetrainAfter, 0), 0);
  IalsOptions cg = Small();
  cg.cg_steps = 2;
  EXPECT_EQ(Restarted(cg)->DueInMs(kRetrainAfter, 0), 0);
}

TEST_F(ModelTrainerTest, ALoadedVersionFoldsInWithTheOptionsItWasTrainedWith) {
  TrainAndWait();
  IalsOptions other = Small();
  other.regularization = 7.0f;
  other.confidence = IalsConfidence::kLog;
  const auto trainer = Restarted(other);
  EXPECT_EQ(trainer->current()->model.options().regularization,
            Small().regularization);
  EXPECT_EQ(trainer->current()->model.options().confidence, Small().confidence);
}

TEST_F(ModelTrainerTest, WarmComputesEveryUsersFeedCandidatesOnce) {
  TrainAndWait();
  auto trainer = Restarted();
  EXPECT_EQ(trainer->Warm(), 6);
  EXPECT_EQ(trainer->current()->memo.size(), 6u);
  EXPECT_EQ(trainer->Warm(), 0);  // This version is warm.
}

TEST_F(ModelTrainerTest, WarmStopsWhileARevocationWaitsForAModel) {
  TrainAndWait();
  auto trainer = Restarted();
  v1::ErasureReceipt receipt;
  receipt.set_receipt_id("u0/1");
  v1::ErasureComponent* component = receipt.add_components();
  component->set_component(erasure::kTrainedModel);
  component->set_state(v1::PENDING);
  ASSERT_TRUE(
      index_.OnConsentCommitted("u0", storage::ConsentRecord(), receipt).ok());
  EXPECT_EQ(trainer->Warm(), 0);
  index_.ForgetCovered({"u0/1"});
  EXPECT_EQ(trainer->Warm(), 6);
}

// Fires from its `n`th check on, so that training is called off part way.
class CancelAfter : public Cancellation {
 public:
  explicit CancelAfter(int n) : left_(n) {}
  absl::Status Check() const override {
    return --left_ > 0 ? absl::OkStatus()
                       : absl::CancelledError("called off by the test");
  }
  int checks_left() const { return left_; }

 private:
  mutable std::atomic<int> left_;
};

TEST_F(ModelTrainerTest, CalledOffTrainingWritesNothingAndKeepsTheVersion) {
  TrainAndWait();
  auto trainer = Restarted();
  Like("u1", 6);
  // Training checks before each half iteration and once more before
  // writing. Called off at the first check, part way, at the last half
  // iteration, and after the iterations (before writing).
  const int halves = 2 * Small().iterations;
  for (int n : {1, 4, halves, halves + 1}) {
    CancelAfter cancel(n);
    absl::StatusOr<storage::ModelRecord> record = trainer->Train(cancel);
    EXPECT_EQ(record.status().code(), absl::StatusCode::kCancelled) << n;
    // The failed check ended the iterations: one more, before writing.
    EXPECT_EQ(cancel.checks_left(), n <= halves ? -1 : 0) << n;
    EXPECT_EQ(trainer->current()->lineage.version(), 1);
    EXPECT_EQ(Restarted()->current()->lineage.version(), 1) << "persisted";
  }
  EXPECT_EQ(trainer->Train()->version(), 2);
}

TEST_F(ModelTrainerTest, WarmStopsWhenCalledOff) {
  TrainAndWait();
  auto trainer = Restarted();
  CancellationFlag stopping("shutting down");
  stopping.Cancel();
  EXPECT_EQ(trainer->Warm(stopping), 0);
  EXPECT_EQ(trainer->Warm(), 6) << "the version is not marked warm";
}

TEST_F(ModelTrainerTest, TheSameDataGivesTheSameDigest) {
  const uint64_t first = TrainAndWait().input_digest();
  EXPECT_EQ(TrainAndWait().input_digest(), first);
  Like("u2", 6);
  EXPECT_NE(TrainAndWait().input_digest(), first);
}

// Cluster training steps (ShardService.TrainStep) on one shard.
v1::TrainStepRequest Step(v1::TrainPhase phase, const std::string& round) {
  v1::TrainStepRequest request;
  request.set_shard("s0");
  request.set_phase(phase);
  request.set_round(round);
  return request;
}

TEST_F(ModelTrainerTest, TrainStepsRefuseWhatIsOutOfPlace) {
  ModelTrainer trainer(&store_, &clock_, &locks_, &index_,
                       &RankingConfig::Shipped(), Small());
  // No round yet.
  EXPECT_EQ(
      trainer.TrainStep(Step(v1::TRAIN_PHASE_ITERATE, "r1")).status().code(),
      absl::StatusCode::kFailedPrecondition);
  v1::TrainStepRequest begin = Step(v1::TRAIN_PHASE_BEGIN, "r1");
  *begin.mutable_options() = ModelOptionsToProto(Small());
  begin.mutable_options()->set_factors(0);
  absl::Status refused = trainer.TrainStep(begin).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.message(), "options.factors: is 0, must be 1 to 1024");
  begin.mutable_options()->set_factors(4);
  begin.mutable_options()->set_confidence(v1::CONFIDENCE_UNSPECIFIED);
  EXPECT_EQ(trainer.TrainStep(begin).status().message(),
            "options.confidence: is 0, must be CONFIDENCE_LINEAR or "
            "CONFIDENCE_LOG");
  *begin.mutable_options() = ModelOptionsToProto(Small());
  begin.clear_round();
  EXPECT_EQ(trainer.TrainStep(begin).status().message(), "round: is empty");
  begin.set_round("r1");
  absl::StatusOr<v1::TrainStepResponse> begun = trainer.TrainStep(begin);
  ASSERT_TRUE(begun.ok()) << begun.status();
  EXPECT_EQ(begun->item_labels_size(), 7);  // Posts 0-6.
  EXPECT_EQ(begun->users(), 6);
  EXPECT_EQ(begun->interactions(), 24);

  // Another round's step, a gram of the wrong size, rows out of order, and
  // rows that are not whole.
  EXPECT_EQ(
      trainer.TrainStep(Step(v1::TRAIN_PHASE_ITERATE, "r0")).status().message(),
      "round: is \"r0\", but another round is in progress");
  v1::TrainStepRequest iterate = Step(v1::TRAIN_PHASE_ITERATE, "r1");
  iterate.add_factors(1);
  iterate.add_factors(2);
  iterate.add_factors(3);
  iterate.add_factors(4);
  absl::Status gram = trainer.TrainStep(iterate).status();
  EXPECT_EQ(gram.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(gram.message(), "gram: holds 0 floats, not 4 x 4");
  for (int i = 0; i < 16; ++i) iterate.add_gram(i == 0 || i % 5 == 0);
  ASSERT_TRUE(trainer.TrainStep(iterate).ok());  // Row 0 of 7.
  iterate.set_first_row(3);
  EXPECT_EQ(trainer.TrainStep(iterate).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // Exact solves take no conjugate-gradient steps.
  EXPECT_EQ(
      trainer.TrainStep(Step(v1::TRAIN_PHASE_APPLY, "r1")).status().message(),
      "phase: APPLY, but the round solves exactly (cg_steps 0)");
  iterate.set_first_row(1);
  iterate.add_factors(5);
  EXPECT_EQ(trainer.TrainStep(iterate).status().message(),
            "factors: holds 5 floats, not a multiple of the 4 factors");
  // More rows than the shard's items.
  iterate.set_first_row(0);
  iterate.clear_factors();
  for (int i = 0; i < 8 * 4; ++i) iterate.add_factors(0.1f);
  EXPECT_EQ(trainer.TrainStep(iterate).status().message(),
            "factors: rows 0 to 8 of 7 rows");
  // COMMIT before the version serves; FINISH with labels out of order.
  EXPECT_EQ(
      trainer.TrainStep(Step(v1::TRAIN_PHASE_COMMIT, "r1")).status().code(),
      absl::StatusCode::kFailedPrecondition);
  v1::TrainStepRequest finish = Step(v1::TRAIN_PHASE_FINISH, "r1");
  finish.set_rows(2);
  finish.set_version(1);
  for (int i = 0; i < 8; ++i) finish.add_factors(0.5f);
  finish.add_item_labels("post:b");
  finish.add_item_labels("post:a");
  absl::Status order = trainer.TrainStep(finish).status();
  EXPECT_EQ(order.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(order.message(),
            "item_labels[1]: \"post:a\" is not after the previous");
  EXPECT_EQ(trainer.current(), nullptr);  // Nothing was installed.
  v1::TrainStepRequest phase = Step(v1::TRAIN_PHASE_UNSPECIFIED, "r1");
  EXPECT_EQ(trainer.TrainStep(phase).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ModelTrainerTest, AFinishedRoundServesAndPersistsItsVersion) {
  ModelTrainer trainer(&store_, &clock_, &locks_, &index_,
                       &RankingConfig::Shipped(), Small());
  v1::TrainStepRequest begin = Step(v1::TRAIN_PHASE_BEGIN, "r1");
  *begin.mutable_options() = ModelOptionsToProto(Small());
  ASSERT_TRUE(trainer.TrainStep(begin).ok());
  // The version in two calls of one row each.
  v1::TrainStepRequest finish = Step(v1::TRAIN_PHASE_FINISH, "r1");
  finish.set_rows(2);
  finish.set_version(7);
  finish.set_users(12);
  for (float f : {1, 2, 3, 4}) finish.add_factors(f);
  finish.add_item_labels("post:a");
  absl::StatusOr<v1::TrainStepResponse> first = trainer.TrainStep(finish);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->complete());
  EXPECT_EQ(trainer.current(), nullptr);
  v1::TrainStepRequest rest = Step(v1::TRAIN_PHASE_FINISH, "r1");
  rest.set_first_row(1);
  for (float f : {5, 6, 7, 8}) rest.add_factors(f);
  rest.add_item_labels("post:b");
  absl::StatusOr<v1::TrainStepResponse> last = trainer.TrainStep(rest);
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_TRUE(last->complete());
  ASSERT_NE(trainer.current(), nullptr);
  EXPECT_EQ(trainer.current()->lineage.version(), 7);
  EXPECT_EQ(trainer.current()->lineage.users(), 12);
  EXPECT_EQ(trainer.current()->item_labels,
            (std::vector<std::string>{"post:a", "post:b"}));
  EXPECT_EQ(trainer.current()->model.item_factors()(1, 2), 7.0f);
  ASSERT_TRUE(trainer.TrainStep(Step(v1::TRAIN_PHASE_COMMIT, "r1")).ok());
  // The round is over; a restart serves the stored version.
  EXPECT_EQ(
      trainer.TrainStep(Step(v1::TRAIN_PHASE_COMMIT, "r1")).status().code(),
      absl::StatusCode::kFailedPrecondition);
  auto restarted = Restarted();
  EXPECT_EQ(restarted->current()->lineage.version(), 7);
  EXPECT_EQ(restarted->current()->model.item_factors()(0, 3), 4.0f);
}

}  // namespace
}  // namespace portrait
