// ClusterTrainer's rounds on a cluster of one shard (the coordinator alone,
// called directly): the steps, with factors sent one row per call, train
// what ModelTrainer::Train trains up to float rounding, and the schedule
// follows the shards' status; and against a scripted peer over gRPC, what a
// malformed answer does. Rounds over several real shards are in
// tests/cluster_training_test.cc.
#include "services/server/cluster_trainer.h"

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "config/ranking_config.h"
#include "gtest/gtest.h"
#include "portrait/v1/shard.grpc.pb.h"
#include "services/consent/policy.h"
#include "services/consent/shipped_policy.h"
#include "services/locking/user_locks.h"
#include "services/portrait/portrait_index.h"
#include "services/portrait/test_events.h"
#include "services/storage/memory_store.h"

namespace portrait {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;

IalsOptions Small() {
  IalsOptions options;
  options.factors = 4;
  options.iterations = 5;
  options.cg_steps = 2;
  options.regularization_exponent = 0.5f;
  return options;
}

class ClusterTrainerTest : public ::testing::Test {
 protected:
  ClusterTrainerTest()
      : policy_(*ConsentPolicy::FromText(kShippedConsentPolicy)),
        index_(&store_, &clock_, &policy_, &RankingConfig::Shipped()),
        trainer_(&store_, &clock_, &locks_, &index_, &RankingConfig::Shipped(),
                 Small()),
        // One row of 4 factors per call.
        cluster_("s0", &trainer_, {}, nullptr, &clock_, Small(), 1, 4) {}

  void Like(const std::string& user, int post) {
    const v1::Event event =
        PostLike(absl::StrCat("e", next_++), user, post, kNow - 1000);
    ASSERT_TRUE(index_.OnEventsStored({&event}).ok());
  }

  MemoryStore store_;
  FakeClock clock_{kNow};
  UserLocks locks_;
  const ConsentPolicy policy_;
  PortraitIndex index_;
  ModelTrainer trainer_;
  ClusterTrainer cluster_;
  int next_ = 0;
};

TEST_F(ClusterTrainerTest, ARoundTrainsWhatOneTrainingTrains) {
  for (int u = 0; u < 12; ++u) {
    for (int p = 0; p < 5; ++p) Like(absl::StrCat("u", u), (u * 3 + p) % 9);
  }
  // Conjugate gradient (products of each direction), then exact solves
  // (per-item sums).
  for (int cg_steps : {2, 0}) {
    IalsOptions options = Small();
    options.cg_steps = cg_steps;
    // Well conditioned: with weak regularization, exact solves amplify the
    // rounding of the sums' other order (1e-4 of the norm after one
    // iteration at regularization 0.1).
    options.regularization = 1.0f;
    ModelTrainer trainer(&store_, &clock_, &locks_, &index_,
                         &RankingConfig::Shipped(), options);
    ClusterTrainer cluster("s0", &trainer, {}, nullptr, &clock_, options, 1, 4);
    absl::StatusOr<storage::ModelRecord> round =
        cluster.Train(Cancellation::Never());
    ASSERT_TRUE(round.ok()) << round.status();
    EXPECT_EQ(round->users(), 12);
    EXPECT_EQ(round->interactions(), 60);
    const std::shared_ptr<const ServingModel> clustered = trainer.current();
    ASSERT_NE(clustered, nullptr);
    EXPECT_EQ(clustered->lineage.version(), round->version());
    EXPECT_EQ(clustered->lineage.cg_steps(), cg_steps);

    ModelTrainer alone(&store_, &clock_, &locks_, &index_,
                       &RankingConfig::Shipped(), options);
    ASSERT_TRUE(alone.Train().ok());
    const FactorMatrix& expected = alone.current()->model.item_factors();
    EXPECT_EQ(clustered->item_labels, alone.current()->item_labels);
    ASSERT_EQ(clustered->model.item_factors().rows(), 9);
    EXPECT_LT((clustered->model.item_factors() - expected).norm(),
              1e-4 * expected.norm())
        << "cg_steps " << cg_steps;
  }
}

TEST_F(ClusterTrainerTest, DueWhenTheShardsSaySo) {
  const int64_t kRetrain = 600'000, kDebounce = 5'000;
  // No users, no round.
  EXPECT_EQ(*cluster_.DueInMs(kRetrain, kDebounce), -1);
  Like("u0", 1);
  EXPECT_EQ(*cluster_.DueInMs(kRetrain, kDebounce), 0);  // First round.
  ASSERT_TRUE(cluster_.Train(Cancellation::Never()).ok());
  EXPECT_EQ(*cluster_.DueInMs(kRetrain, kDebounce), -1);
  // Changed data waits for the retraining period.
  Like("u1", 2);
  clock_.AdvanceMillis(1000);
  EXPECT_EQ(*cluster_.DueInMs(kRetrain, kDebounce), kRetrain - 1000);
  clock_.AdvanceMillis(kRetrain);
  EXPECT_EQ(*cluster_.DueInMs(kRetrain, kDebounce), 0);
  ASSERT_TRUE(cluster_.Train(Cancellation::Never()).ok());
  EXPECT_EQ(trainer_.current()->lineage.version(), 2);
  EXPECT_EQ(*cluster_.DueInMs(kRetrain, kDebounce), -1);
}

// A coordinator started again (a new ClusterTrainer over a shard that
// serves a model) takes that model for the last round's: it waits for the
// retraining period from the model's training instead of training at once.
TEST_F(ClusterTrainerTest, ARestartedCoordinatorKeepsTheSchedule) {
  const int64_t kRetrain = 600'000, kDebounce = 5'000;
  Like("u0", 1);
  ASSERT_TRUE(cluster_.Train(Cancellation::Never()).ok());
  clock_.AdvanceMillis(1000);
  ClusterTrainer restarted("s0", &trainer_, {}, nullptr, &clock_, Small(), 1,
                           4);
  // Its shards' data are unknown to it, so they count as changed.
  EXPECT_EQ(*restarted.DueInMs(kRetrain, kDebounce), kRetrain - 1000);
}

TEST_F(ClusterTrainerTest, ACalledOffRoundServesNothingNew) {
  Like("u0", 1);
  CancellationFlag stopping("shutting down");
  stopping.Cancel();
  absl::Status stopped = cluster_.Train(stopping).status();
  EXPECT_EQ(stopped.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(stopped.message(), "shutting down");
  EXPECT_EQ(trainer_.current(), nullptr);
}

// A peer shard that answers each phase as `answer` says, over real gRPC.
class ScriptedShard final : public v1::ShardService::Service {
 public:
  using Answer =
      std::function<void(const v1::TrainStepRequest&, v1::TrainStepResponse*)>;
  explicit ScriptedShard(Answer answer) : answer_(std::move(answer)) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  ~ScriptedShard() override { server_->Shutdown(); }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

  grpc::Status TrainStep(grpc::ServerContext*,
                         const v1::TrainStepRequest* request,
                         v1::TrainStepResponse* response) override {
    answer_(*request, response);
    return grpc::Status::OK;
  }

 private:
  Answer answer_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// A peer's answer of the wrong shape ends the round with INTERNAL naming the
// shard and what was wrong, and nothing new is served.
TEST_F(ClusterTrainerTest, AMalformedAnswerEndsTheRound) {
  Like("u0", 1);
  // The peer names one item at BEGIN (two, out of order, if `unsorted`),
  // then answers every step with `products` floats, `complete` or not.
  struct Case {
    bool unsorted;
    bool complete;
    int products;
    std::string message;
  };
  const std::vector<Case> cases = {
      {true, true, 8, "shard s1: answered item labels out of order"},
      {false, false, 8, "shard s1: answered that the rows are incomplete"},
      // 2 * 4 floats per item expected.
      {false, true, 1, "shard s1: answered 1 floats for 1 items of 8"},
      {false, true, 8, "shard s1: answered 0 observations for 1 items"},
  };
  for (const Case& c : cases) {
    ScriptedShard peer([&c](const v1::TrainStepRequest& request,
                            v1::TrainStepResponse* response) {
      if (request.phase() == v1::TRAIN_PHASE_BEGIN) {
        response->add_item_labels("post:p7");
        if (c.unsorted) response->add_item_labels("post:p0");
        response->set_users(1);
        return;
      }
      response->set_complete(c.complete);
      for (int f = 0; f < c.products; ++f) response->add_products(0);
    });
    ClusterTrainer cluster("s0", &trainer_, {{"s1", peer.address()}},
                           grpc::InsecureChannelCredentials(), &clock_, Small(),
                           1, 4);
    const absl::Status failed = cluster.Train(Cancellation::Never()).status();
    EXPECT_EQ(failed.code(), absl::StatusCode::kInternal) << c.message;
    EXPECT_EQ(failed.message(), c.message);
    EXPECT_EQ(trainer_.current(), nullptr) << c.message;
  }
}

}  // namespace
}  // namespace portrait
