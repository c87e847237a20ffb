// The ingest path end to end: a real server on a real RocksDB directory,
// driven over gRPC, restarted, and checked again.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/server/portrait_server.h"
#include "services/storage/memory_store.h"
#include "tests/temp_dir.h"
#include "tests/test_server.h"

namespace portrait {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 1'790'000'000'000;

v1::Event MakeEvent(int i, const std::string& user) {
  v1::Event e;
  e.set_event_id(absl::StrCat("evt-", i));
  e.set_user_id(user);
  e.set_occurred_at_ms(kNow - 100000 + i);
  if (i % 3 == 0) {
    e.set_signal(v1::SEARCH);
    e.mutable_search()->set_query(absl::StrCat("query ", i));
  } else {
    e.set_signal(i % 3 == 1 ? v1::LIKE : v1::BROWSE);
    e.mutable_target()->set_kind(v1::ITEM_POST);
    e.mutable_target()->set_id(absl::StrCat("post-", i % 11));
  }
  return e;
}

class IngestIntegrationTest : public ::testing::Test {
 protected:
  void StartServer() {
    ASSERT_TRUE(portrait_.Start(dir_.path() + "/db", &clock_));
  }

  void StopServer() { portrait_.Stop(); }

  grpc::Status Record(const std::vector<v1::Event>& events,
                      v1::RecordEventsResponse* response) {
    v1::RecordEventsRequest request;
    for (const v1::Event& e : events) *request.add_events() = e;
    grpc::ClientContext context;
    return portrait_.ingest->RecordEvents(&context, request, response);
  }

  v1::GetEventSummaryResponse Summary(const std::string& user) {
    v1::GetEventSummaryRequest request;
    request.set_user_id(user);
    v1::GetEventSummaryResponse response;
    grpc::ClientContext context;
    grpc::Status status =
        portrait_.profile->GetEventSummary(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  TempDir dir_;
  FakeClock clock_{kNow};
  TestServer portrait_;
};

TEST_F(IngestIntegrationTest, EventsSurviveRestartAndRetriesStoreNothingTwice) {
  StartServer();
  std::vector<v1::Event> batch;
  for (int i = 0; i < 300; ++i) batch.push_back(MakeEvent(i, "alice"));
  v1::RecordEventsResponse response;
  ASSERT_TRUE(Record(batch, &response).ok());
  EXPECT_EQ(response.stored(), 300);

  // The same events again through a stream, in two messages.
  v1::StreamEventsResponse summary;
  {
    grpc::ClientContext context;
    auto writer = portrait_.ingest->StreamEvents(&context, &summary);
    for (int half = 0; half < 2; ++half) {
      v1::StreamEventsRequest message;
      for (int i = half * 150; i < half * 150 + 150; ++i) {
        *message.add_events() = batch[i];
      }
      ASSERT_TRUE(writer->Write(message));
    }
    writer->WritesDone();
    ASSERT_TRUE(writer->Finish().ok());
  }
  EXPECT_EQ(summary.messages(), 2);
  EXPECT_EQ(summary.duplicates(), 300);
  EXPECT_EQ(summary.stored(), 0);

  v1::GetEventSummaryResponse before = Summary("alice");
  EXPECT_EQ(before.total_events(), 300);
  ASSERT_EQ(before.signals_size(), 3);
  EXPECT_EQ(before.signals(0).signal(), v1::LIKE);
  EXPECT_EQ(before.signals(0).count(), 100);

  StopServer();
  StartServer();
  v1::GetEventSummaryResponse after = Summary("alice");
  EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString());
  // Idempotency keys are durable too.
  ASSERT_TRUE(Record(batch, &response).ok());
  EXPECT_EQ(response.duplicates(), 300);
  EXPECT_EQ(Summary("alice").total_events(), 300);
}

TEST_F(IngestIntegrationTest, MalformedBatchIsInvalidArgumentAndStoresNothing) {
  StartServer();
  std::vector<v1::Event> batch = {MakeEvent(1, "bob"), MakeEvent(2, "bob")};
  batch[1].set_occurred_at_ms(kNow + 3'600'000);
  v1::RecordEventsResponse response;
  grpc::Status status = Record(batch, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("events[1].occurred_at_ms"));
  EXPECT_THAT(status.error_message(), HasSubstr("300000 ms"));
  EXPECT_EQ(Summary("bob").total_events(), 0);
}

TEST_F(IngestIntegrationTest,
       StreamStopsAtMalformedMessageAndKeepsEarlierOnes) {
  StartServer();
  v1::StreamEventsResponse summary;
  grpc::ClientContext context;
  auto writer = portrait_.ingest->StreamEvents(&context, &summary);
  v1::StreamEventsRequest good;
  *good.add_events() = MakeEvent(1, "carol");
  ASSERT_TRUE(writer->Write(good));
  v1::StreamEventsRequest empty;
  writer->Write(empty);
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("message 1 of the stream"));
  EXPECT_THAT(status.error_message(), HasSubstr("events: is empty"));
  EXPECT_EQ(Summary("carol").total_events(), 1);
}

TEST_F(IngestIntegrationTest, RejectedEventsCarryReasonsOverTheWire) {
  StartServer();
  v1::Event wrong = MakeEvent(1, "dave");
  wrong.clear_target();
  v1::RecordEventsResponse response;
  ASSERT_TRUE(Record({MakeEvent(0, "dave"), wrong}, &response).ok());
  EXPECT_EQ(response.stored(), 1);
  EXPECT_EQ(response.rejected(), 1);
  EXPECT_EQ(response.results(1).reason(), v1::WRONG_TARGET);
}

TEST_F(IngestIntegrationTest, SummaryOfMalformedUserIsInvalidArgument) {
  StartServer();
  v1::GetEventSummaryRequest request;
  request.set_user_id("has space");
  v1::GetEventSummaryResponse response;
  grpc::ClientContext context;
  grpc::Status status =
      portrait_.profile->GetEventSummary(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("user_id"));
}

TEST_F(IngestIntegrationTest, CatalogCallsWorkOverTheWire) {
  StartServer();
  v1::UpsertItemsRequest upsert;
  upsert.add_items()->mutable_brand()->set_brand_id("acme");
  v1::UpsertItemsResponse upserted;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(
        portrait_.ingest->UpsertItems(&context, upsert, &upserted).ok());
  }
  EXPECT_EQ(upserted.upserted(), 1);
  v1::DeleteItemsRequest del;
  del.add_items()->set_kind(v1::ITEM_BRAND);
  del.mutable_items(0)->set_id("acme");
  v1::DeleteItemsResponse deleted;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(portrait_.ingest->DeleteItems(&context, del, &deleted).ok());
  }
  EXPECT_EQ(deleted.deleted(), 1);
  del.mutable_items(0)->set_kind(v1::ITEM_KIND_UNSPECIFIED);
  grpc::ClientContext context;
  grpc::Status status = portrait_.ingest->DeleteItems(&context, del, &deleted);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("items[0].kind"));
}

TEST_F(IngestIntegrationTest, HealthServiceReportsServing) {
  StartServer();
  grpc::GenericStub stub(portrait_.channel);
  // An empty HealthCheckRequest asks about the server as a whole.
  grpc::Slice empty_message(std::string{});
  grpc::ByteBuffer request(&empty_message, 1);
  grpc::ByteBuffer reply;
  grpc::ClientContext context;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                 &request, &reply, [&](grpc::Status s) { done.set_value(s); });
  ASSERT_TRUE(done.get_future().get().ok());
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(reply.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  // HealthCheckResponse{status: SERVING}: field 1, varint 1.
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));
}

TEST_F(IngestIntegrationTest, SecondServerOnSameDirectoryIsRefused) {
  StartServer();
  PortraitServer::Options options;
  options.listen_address = "127.0.0.1:0";
  options.plaintext = true;
  options.data_dir = dir_.path() + "/db";
  auto second = PortraitServer::Start(options);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("LOCK"));
}

TEST_F(IngestIntegrationTest, ServesFromAGivenStoreAndLeavesItOpen) {
  MemoryStore store;
  PortraitServer::Options options =
      TestServerOptions(dir_.path() + "/never-created", &clock_);
  options.store = &store;
  ASSERT_TRUE(portrait_.Start(options));
  v1::RecordEventsResponse response;
  ASSERT_TRUE(
      Record({MakeEvent(1, "alice"), MakeEvent(2, "alice")}, &response).ok());
  EXPECT_EQ(response.stored(), 2);
  StopServer();

  EXPECT_FALSE(std::filesystem::exists(options.data_dir));
  // The events are in the given store, which stays usable after shutdown.
  int events = 0;
  ASSERT_TRUE(store
                  .Scan(Column::kEvents, "", "",
                        [&](absl::string_view, absl::string_view) {
                          ++events;
                          return true;
                        })
                  .ok());
  EXPECT_EQ(events, 2);
}

TEST_F(IngestIntegrationTest, TakenPortIsRefused) {
  StartServer();
  PortraitServer::Options options;
  options.listen_address = absl::StrCat("127.0.0.1:", portrait_.server->port());
  options.plaintext = true;
  options.data_dir = dir_.path() + "/other";
  auto second = PortraitServer::Start(options);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("port taken"));
}

}  // namespace
}  // namespace portrait
