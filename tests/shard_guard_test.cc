// A shard of a cluster (PortraitServer::Options::shard_name) through a real
// server: it refuses calls its proxy did not route to it, calls about users
// without the user they were routed by, and calls that carry another user's
// data, each with its code and the header or field named, and stores
// nothing of a refused call. Every method of the six services callers use
// is checked (ShardService, which the shards call directly, is not guarded).
#include "services/grpc/shard_guard.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <future>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "base/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "portrait/v1/admin.grpc.pb.h"
#include "services/portrait/test_events.h"
#include "tests/temp_dir.h"
#include "tests/test_server.h"

namespace portrait {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 1'790'000'000'000;

// Calls addressed to a shard as a whole rather than about one user.
const absl::flat_hash_set<std::string>& ShardWideMethods() {
  static const auto* methods = new absl::flat_hash_set<std::string>{
      "UpsertItems", "DeleteItems", "StreamPushCandidates", "CreateCheckpoint"};
  return *methods;
}

class ShardGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PortraitServer::Options options =
        TestServerOptions(dir_.path() + "/db", &clock_);
    options.shard_name = "s1";
    ASSERT_TRUE(portrait_.Start(options));
  }

  // A context as the proxy sends it on: routed to `shard` by `user` (each
  // header left out when empty).
  static void Route(grpc::ClientContext* context, const std::string& shard,
                    const std::string& user) {
    if (!shard.empty()) context->AddMetadata(kRoutedShardHeader, shard);
    if (!user.empty()) context->AddMetadata(kRoutedUserHeader, user);
  }

  // The events stored for `user`, asked as the proxy would.
  int64_t StoredEvents(const std::string& user) {
    grpc::ClientContext context;
    Route(&context, "s1", user);
    v1::GetEventSummaryRequest request;
    request.set_user_id(user);
    v1::GetEventSummaryResponse response;
    const grpc::Status status =
        portrait_.profile->GetEventSummary(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.total_events();
  }

  // Calls the unary `method` ("/pkg.Service/Method") with an empty request.
  grpc::Status CallEmpty(const std::string& method, const std::string& shard,
                         const std::string& user) {
    grpc::GenericStub stub(portrait_.channel);
    grpc::ClientContext context;
    Route(&context, shard, user);
    grpc::Slice empty{std::string()};
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                   [&](grpc::Status status) { done.set_value(status); });
    return done.get_future().get();
  }

  TempDir dir_;
  FakeClock clock_{kNow};
  TestServer portrait_;
};

TEST_F(ShardGuardTest, EveryMethodChecksTheRouteAndEachUserCallItsUser) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  int unary = 0;
  for (const char* name :
       {"portrait.v1.ConsentService", "portrait.v1.IngestService",
        "portrait.v1.ProfileService", "portrait.v1.RecommendService",
        "portrait.v1.PushService", "portrait.v1.AdminService"}) {
    const google::protobuf::ServiceDescriptor* service =
        pool->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int m = 0; m < service->method_count(); ++m) {
      const google::protobuf::MethodDescriptor* method = service->method(m);
      if (method->client_streaming() || method->server_streaming()) continue;
      ++unary;
      const std::string path =
          "/" + std::string(name) + "/" + std::string(method->name());
      const grpc::Status unrouted = CallEmpty(path, "", "");
      EXPECT_EQ(unrouted.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
          << path;
      EXPECT_THAT(unrouted.error_message(), HasSubstr("x-portrait-shard"));
      const grpc::Status elsewhere = CallEmpty(path, "s2", "ann");
      EXPECT_EQ(elsewhere.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
          << path;
      EXPECT_THAT(elsewhere.error_message(),
                  HasSubstr("routed to shard s2, but this is shard s1"));
      const grpc::Status no_user = CallEmpty(path, "s1", "");
      if (ShardWideMethods().contains(method->name())) {
        EXPECT_THAT(no_user.error_message(),
                    ::testing::Not(HasSubstr("x-portrait-user")))
            << path;
      } else {
        EXPECT_EQ(no_user.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
            << path;
        EXPECT_THAT(no_user.error_message(),
                    HasSubstr("x-portrait-user: missing"))
            << path;
      }
    }
  }
  EXPECT_EQ(unary, 18);  // 21 methods, 3 of them streams (below).
}

TEST_F(ShardGuardTest, ACallCarryingAnotherUsersDataStoresNothing) {
  v1::RecordEventsRequest request;
  *request.add_events() = PostLike("e1", "ann", 1, kNow - 1000);
  *request.add_events() = PostLike("e2", "bob", 1, kNow - 1000);
  v1::RecordEventsResponse response;
  {
    grpc::ClientContext context;
    Route(&context, "s1", "ann");
    const grpc::Status status =
        portrait_.ingest->RecordEvents(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(),
                HasSubstr("events[1].user_id: is bob, but the call was routed "
                          "by x-portrait-user ann"));
  }
  EXPECT_EQ(StoredEvents("ann"), 0);
  request.mutable_events()->RemoveLast();
  grpc::ClientContext context;
  Route(&context, "s1", "ann");
  ASSERT_TRUE(
      portrait_.ingest->RecordEvents(&context, request, &response).ok());
  EXPECT_EQ(response.stored(), 1);
  EXPECT_EQ(StoredEvents("ann"), 1);

  v1::GetPushCandidatesRequest batch;
  batch.add_user_ids("ann");
  batch.add_user_ids("bob");
  batch.set_purpose(v1::PUSH_CONTENT);
  grpc::ClientContext push_context;
  Route(&push_context, "s1", "ann");
  v1::GetPushCandidatesResponse candidates;
  const grpc::Status push =
      portrait_.push->GetPushCandidates(&push_context, batch, &candidates);
  EXPECT_EQ(push.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(push.error_message(), HasSubstr("user_ids[1]: is bob"));
}

TEST_F(ShardGuardTest, StreamsAreCheckedMessageByMessage) {
  grpc::ClientContext context;
  Route(&context, "s1", "ann");
  v1::StreamEventsResponse summary;
  auto writer = portrait_.ingest->StreamEvents(&context, &summary);
  v1::StreamEventsRequest message;
  *message.add_events() = PostLike("e1", "ann", 1, kNow - 1000);
  ASSERT_TRUE(writer->Write(message));
  message.clear_events();
  *message.add_events() = PostLike("e2", "bob", 1, kNow - 1000);
  writer->Write(message);  // May fail once the server has answered.
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("message 1 of the stream (1 earlier messages stored): "
                        "events[0].user_id: is bob"));
  EXPECT_EQ(StoredEvents("ann"), 1);

  // A user's export needs its user; a segment's push stream, the shard.
  v1::ExportUserDataRequest export_request;
  export_request.set_user_id("ann");
  grpc::ClientContext export_context;
  Route(&export_context, "s1", "bob");
  auto parts =
      portrait_.profile->ExportUserData(&export_context, export_request);
  v1::ExportPart part;
  while (parts->Read(&part)) {
  }
  const grpc::Status exported = parts->Finish();
  EXPECT_EQ(exported.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(exported.error_message(), HasSubstr("user_id: is ann"));

  v1::StreamPushCandidatesRequest segment;
  segment.mutable_segment()->set_all_users(true);
  segment.set_purpose(v1::PUSH_CONTENT);
  for (const auto& [shard, code] :
       std::vector<std::pair<std::string, grpc::StatusCode>>{
           {"", grpc::StatusCode::FAILED_PRECONDITION},
           {"s1", grpc::StatusCode::OK}}) {
    grpc::ClientContext push_context;
    Route(&push_context, shard, "");
    auto stream = portrait_.push->StreamPushCandidates(&push_context, segment);
    v1::UserPushCandidates user;
    while (stream->Read(&user)) {
    }
    EXPECT_EQ(stream->Finish().error_code(), code) << shard;
  }
}

TEST(ShardNameTest, AShardNameMustBeAnId) {
  TempDir dir;
  FakeClock clock(kNow);
  PortraitServer::Options options =
      TestServerOptions(dir.path() + "/db", &clock);
  options.shard_name = "shard one";
  const auto server = PortraitServer::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(server.status().message(), HasSubstr("shard_name"));
}

}  // namespace
}  // namespace portrait
