// The trained model of a cluster (docs/SCALING.md, "The trained model"):
// real servers as two shards, the coordinator s0 training over both shards'
// users through ShardService.TrainStep. Both shards serve the same factors,
// which are one server's (of all users) up to float rounding; a STRIP's
// trained_model component waits for a round, after which the factors are
// bit for bit those of a cluster that never saw the stripped data; a shard
// that is down ends the round with UNAVAILABLE naming it, and every shard
// keeps its version. Also what a cluster's other shard must erase of an
// account deleted on its shard: its person and posts.
#include <grpcpp/grpcpp.h>

#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "base/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "portrait/v1/consent.grpc.pb.h"
#include "portrait/v1/ingest.grpc.pb.h"
#include "portrait/v1/shard.grpc.pb.h"
#include "services/consent/erasure_components.h"
#include "services/grpc/shard_guard.h"
#include "services/model/serving_model.h"
#include "services/portrait/test_events.h"
#include "services/storage/keys.h"
#include "services/storage/rocksdb_store.h"
#include "tests/temp_dir.h"
#include "tests/test_server.h"

namespace portrait {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 1'790'000'000'000;
constexpr int kUsers = 16;

std::string User(int u) { return absl::StrCat("u", u); }
// Even users on s0, odd on s1.
const char* ShardOf(int u) { return u % 2 == 0 ? "s0" : "s1"; }

// Every user likes five of twelve posts; the stripped user (u1) also likes
// posts of their own.
std::vector<v1::Event> EventsOf(int u) {
  std::vector<v1::Event> events;
  for (int p = 0; p < 5; ++p) {
    events.push_back(PostLike(absl::StrCat("e", u, "-", p), User(u),
                              (u * 5 + p * 5) % 12, kNow - 3'600'000 + p));
  }
  if (u == 1) {
    for (int p = 12; p < 15; ++p) {
      events.push_back(
          PostLike(absl::StrCat("e1-", p), User(u), p, kNow - 1000 + p));
    }
  }
  return events;
}

void Route(grpc::ClientContext* context, const std::string& shard,
           const std::string& user) {
  if (!shard.empty()) context->AddMetadata(kRoutedShardHeader, shard);
  context->AddMetadata(kRoutedUserHeader, user);
}

void Send(TestServer& s, const std::string& shard, int u) {
  v1::RecordEventsRequest request;
  for (const v1::Event& e : EventsOf(u)) *request.add_events() = e;
  v1::RecordEventsResponse response;
  grpc::ClientContext context;
  Route(&context, shard, User(u));
  const grpc::Status status =
      s.ingest->RecordEvents(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
}

// Two shards; s0 coordinates.
struct Cluster {
  TempDir dir;
  TestServer s0, s1;

  bool Start(const Clock* clock, bool auto_train = false) {
    // s1 first: s0 must know its port. s1 does not reach s0 (port 1),
    // which only its summed counts would need.
    PortraitServer::Options one = TestServerOptions(dir.path() + "/s1", clock);
    one.auto_train = auto_train;
    one.shard_name = "s1";
    one.peers = {{"s0", "127.0.0.1:1"}};
    if (!s1.Start(one)) return false;
    PortraitServer::Options zero = TestServerOptions(dir.path() + "/s0", clock);
    zero.auto_train = auto_train;
    zero.shard_name = "s0";
    zero.peers = {{"s1", absl::StrCat("127.0.0.1:", s1.server->port())}};
    return s0.Start(zero);
  }

  void SendAll(int except_user = -1) {
    for (int u = 0; u < kUsers; ++u) {
      if (u == except_user) continue;
      Send(u % 2 == 0 ? s0 : s1, ShardOf(u), u);
    }
  }
};

// u1's STRIP of LIKE, on their shard s1.
v1::SetConsentResponse StripLikesOfU1(TestServer& s1) {
  const v1::SetConsentRequest strip =
      UserConsentRequest(User(1), "strip-1", "cluster-training-test",
                         ChangeOfSignal(v1::LIKE, false, v1::STRIP));
  v1::SetConsentResponse stripped;
  grpc::ClientContext context;
  Route(&context, "s1", User(1));
  const grpc::Status status =
      s1.consent->SetConsent(&context, strip, &stripped);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return stripped;
}

// The state of `component` in u1's receipt `receipt_id`, asked of their
// shard s1; UNSPECIFIED if the receipt has no such component.
v1::ErasureState ComponentOfU1sReceipt(TestServer& s1,
                                       const std::string& receipt_id,
                                       absl::string_view component) {
  v1::GetErasureStatusRequest request;
  request.set_receipt_id(receipt_id);
  v1::GetErasureStatusResponse response;
  grpc::ClientContext context;
  Route(&context, "s1", User(1));
  const grpc::Status status =
      s1.consent->GetErasureStatus(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  for (const auto& c : response.receipt().components()) {
    if (c.component() == component) return c.state();
  }
  return v1::ERASURE_STATE_UNSPECIFIED;
}

bool SameBits(const FactorMatrix& a, const FactorMatrix& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0;
}

class ClusterTrainingTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(saw_.Start(&clock_)); }

  FakeClock clock_{kNow};
  Cluster saw_;
};

TEST_F(ClusterTrainingTest, EveryShardServesTheModelOfAllUsers) {
  saw_.SendAll();
  absl::StatusOr<storage::ModelRecord> round = saw_.s0.server->TrainModel();
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_EQ(round->version(), 1);
  EXPECT_EQ(round->users(), kUsers);
  EXPECT_EQ(round->interactions(), kUsers * 5 + 3);

  const auto s0 = saw_.s0.server->serving_model();
  const auto s1 = saw_.s1.server->serving_model();
  ASSERT_NE(s0, nullptr);
  ASSERT_NE(s1, nullptr);
  EXPECT_EQ(s0->lineage.version(), 1);
  EXPECT_EQ(s1->lineage.version(), 1);
  EXPECT_EQ(s1->item_labels, s0->item_labels);
  EXPECT_EQ(s0->item_labels.size(), 15u);
  EXPECT_TRUE(SameBits(s0->model.item_factors(), s1->model.item_factors()));

  // One server of every user trains the same factors, up to float rounding.
  TempDir dir;
  TestServer alone;
  ASSERT_TRUE(alone.Start(dir.path() + "/db", &clock_));
  for (int u = 0; u < kUsers; ++u) Send(alone, "", u);
  ASSERT_TRUE(alone.server->TrainModel().ok());
  const auto expected = alone.server->serving_model();
  EXPECT_EQ(expected->item_labels, s0->item_labels);
  const FactorMatrix& want = expected->model.item_factors();
  EXPECT_LT((s0->model.item_factors() - want).norm(), 1e-3 * want.norm());

  // The other shard does not train.
  absl::Status refused = saw_.s1.server->TrainModel().status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.message(),
            "this shard does not train: shard s0 trains the cluster's model");
}

TEST_F(ClusterTrainingTest, AfterAStripEveryShardServesWhatNeverSawIt) {
  saw_.SendAll();
  ASSERT_TRUE(saw_.s0.server->TrainModel().ok());

  // u1 (on s1) strips LIKE: the model's component waits for a round.
  const v1::SetConsentResponse stripped = StripLikesOfU1(saw_.s1);
  auto model_state = [&]() {
    return ComponentOfU1sReceipt(saw_.s1, stripped.receipt_id(),
                                 erasure::kTrainedModel);
  };
  EXPECT_EQ(model_state(), v1::PENDING);
  ASSERT_TRUE(saw_.s0.server->TrainModel().ok());
  EXPECT_EQ(model_state(), v1::DONE);

  Cluster never;
  ASSERT_TRUE(never.Start(&clock_));
  never.SendAll(/*except_user=*/1);
  ASSERT_TRUE(never.s0.server->TrainModel().ok());
  for (TestServer* shard : {&saw_.s0, &saw_.s1}) {
    const auto seen = shard->server->serving_model();
    const auto fresh = never.s0.server->serving_model();
    EXPECT_EQ(seen->lineage.version(), 2);
    EXPECT_EQ(seen->item_labels, fresh->item_labels);
    EXPECT_EQ(seen->item_labels.size(), 12u);  // u1's own posts are gone.
    EXPECT_TRUE(
        SameBits(seen->model.item_factors(), fresh->model.item_factors()));
  }
}

TEST_F(ClusterTrainingTest,
       AShardDownEndsTheRoundAndEveryShardKeepsItsVersion) {
  saw_.SendAll();
  ASSERT_TRUE(saw_.s0.server->TrainModel().ok());
  saw_.s1.Stop();
  absl::Status failed = saw_.s0.server->TrainModel().status();
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(failed.message(), HasSubstr("shard s1: "));
  EXPECT_EQ(saw_.s0.server->serving_model()->lineage.version(), 1);
}

TEST(ClusterMaintenanceTest, ShardsWaitForTheCoordinatorAndItForADownShard) {
  FakeClock clock{kNow};
  Cluster cluster;
  ASSERT_TRUE(cluster.Start(&clock, /*auto_train=*/true));
  cluster.SendAll();
  ASSERT_TRUE(cluster.s0.server->RunMaintenance().ok());
  ASSERT_NE(cluster.s1.server->serving_model(), nullptr);
  // A receipt waits on s1 past the debounce: s1 does not train, and does not
  // come back at once either (the coordinator's round will complete it).
  StripLikesOfU1(cluster.s1);
  clock.AdvanceMillis(60'000);
  absl::StatusOr<absl::Duration> next = cluster.s1.server->RunMaintenance();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_GT(*next, absl::ZeroDuration());
  // With s1 down, the coordinator's maintenance still runs and comes back
  // later, rather than failing.
  cluster.s1.Stop();
  next = cluster.s0.server->RunMaintenance();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_GE(*next, absl::Seconds(1));
}

// An account deleted on its shard: the other shard erases its person and
// posts from its catalog before it reports serving that shard's counts, so
// the receipt's peer_shards DONE means they are gone there too, and refuses
// them from then on.
TEST_F(ClusterTrainingTest, ADeletedAccountLeavesTheOtherShardsCatalog) {
  saw_.SendAll();
  for (TestServer* shard : {&saw_.s0, &saw_.s1}) {
    v1::UpsertItemsRequest upsert;
    upsert.add_items()->mutable_person()->set_user_id(User(1));
    for (int u : {1, 2}) {
      v1::Post* post = upsert.add_items()->mutable_post();
      post->set_post_id(absl::StrCat("by-", User(u)));
      post->set_author_id(User(u));
      post->set_created_at_ms(kNow - 1000);
    }
    v1::UpsertItemsResponse upserted;
    grpc::ClientContext context;
    context.AddMetadata(kRoutedShardHeader, shard == &saw_.s0 ? "s0" : "s1");
    ASSERT_TRUE(shard->ingest->UpsertItems(&context, upsert, &upserted).ok());
  }
  v1::DeleteUserRequest request;
  request.set_user_id(User(1));
  request.set_requester(v1::REQUESTER_USER);
  request.set_caller_id("cluster-training-test");
  v1::DeleteUserResponse deleted;
  {
    grpc::ClientContext context;
    Route(&context, "s1", User(1));
    ASSERT_TRUE(saw_.s1.profile->DeleteUser(&context, request, &deleted).ok());
  }
  // s0 fetches s1's counts every second and reports what it serves; s1
  // builds them at most once a second by the server's (fake) clock.
  v1::ErasureState peers = v1::ERASURE_STATE_UNSPECIFIED;
  for (int i = 0; i < 150 && peers != v1::DONE; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    clock_.AdvanceMillis(1000);
    peers = ComponentOfU1sReceipt(saw_.s1, deleted.receipt_id(),
                                  erasure::kPeerShards);
  }
  ASSERT_EQ(peers, v1::DONE);
  // Nor does s0 take them back: an upsert of the person, or of a post they
  // wrote, is refused there as on s1.
  for (const char* field : {"person.user_id", "post.author_id"}) {
    v1::UpsertItemsRequest upsert;
    if (absl::string_view(field) == "person.user_id") {
      upsert.add_items()->mutable_person()->set_user_id(User(1));
    } else {
      v1::Post* post = upsert.add_items()->mutable_post();
      post->set_post_id("by-u1");
      post->set_author_id(User(1));
      post->set_created_at_ms(kNow - 1000);
    }
    v1::UpsertItemsResponse upserted;
    grpc::ClientContext context;
    context.AddMetadata(kRoutedShardHeader, "s0");
    const grpc::Status refused =
        saw_.s0.ingest->UpsertItems(&context, upsert, &upserted);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(refused.error_message(), absl::StrCat("items[0].", field,
                                                    ": the account of u1 was "
                                                    "deleted"));
  }
  saw_.s0.Stop();
  auto store = RocksDbStore::Open({.path = saw_.dir.path() + "/s0"});
  ASSERT_TRUE(store.ok()) << store.status();
  auto stored = [&](v1::ItemKind kind, const std::string& id) {
    return (*store)->Get(Column::kCatalog, CatalogKey(kind, id)).status();
  };
  EXPECT_TRUE(absl::IsNotFound(stored(v1::ITEM_USER, User(1))));
  EXPECT_TRUE(absl::IsNotFound(stored(v1::ITEM_POST, "by-u1")));
  EXPECT_TRUE(stored(v1::ITEM_POST, "by-u2").ok());  // Another author's.
}

TEST_F(ClusterTrainingTest, TrainStepNamesWhatItRefuses) {
  auto stub = v1::ShardService::NewStub(saw_.s1.channel);
  v1::TrainStepRequest request;
  request.set_shard("s1");
  request.set_phase(v1::TRAIN_PHASE_STATUS);
  v1::TrainStepResponse response;
  {
    grpc::ClientContext context;
    const grpc::Status own = stub->TrainStep(&context, request, &response);
    EXPECT_EQ(own.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(own.error_message(), "shard: is s1, this shard's own name");
  }
  request.set_shard("s0");
  request.set_phase(v1::TRAIN_PHASE_ITERATE);
  request.set_round("r9");
  {
    grpc::ClientContext context;
    const grpc::Status none = stub->TrainStep(&context, request, &response);
    EXPECT_EQ(none.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(none.error_message(),
              "round: is \"r9\", but no round is in progress");
  }
  // A server that is no shard.
  TempDir dir;
  TestServer alone;
  ASSERT_TRUE(alone.Start(dir.path() + "/db", &clock_));
  grpc::ClientContext context;
  const grpc::Status no_shard = v1::ShardService::NewStub(alone.channel)
                                    ->TrainStep(&context, request, &response);
  EXPECT_EQ(no_shard.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace portrait
