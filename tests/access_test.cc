// Authenticated callers with roles, through a real server with mutual TLS
// and certificates made by tools/make_dev_certs.sh:
//  - every role calls every method of every service (and the health check
//    and server reflection): the ones it does not hold are PERMISSION_DENIED
//    naming the method and the role, the others get past authorisation;
//  - a certificate the configuration does not name is UNAUTHENTICATED;
//    no certificate, or plaintext, does not connect;
//  - consent changes and deletions record the certificate's identity in the
//    ledger;
//  - one caller holds at most --max_streams_per_caller streams;
//  - the server refuses to start in plaintext on a non-loopback address,
//    without TLS or plaintext chosen, or with a malformed configuration.
#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <future>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/text_proto.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "portrait/v1/admin.grpc.pb.h"
#include "portrait/v1/consent.grpc.pb.h"
#include "portrait/v1/ingest.grpc.pb.h"
#include "portrait/v1/profile.grpc.pb.h"
#include "portrait/v1/push.grpc.pb.h"
#include "portrait/v1/recommend.grpc.pb.h"
#include "portrait/v1/shard.grpc.pb.h"
#include "tests/temp_dir.h"
#include "tests/test_server.h"

namespace portrait {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 1'790'000'000'000;

// What each role may call, by service, as docs/SECURITY.md promises.
const std::map<std::string, std::set<std::string>>& Granted() {
  static const auto* const granted =
      new std::map<std::string, std::set<std::string>>{
          {"feed", {"portrait.v1.RecommendService", "grpc.health.v1.Health"}},
          {"push-scheduler",
           {"portrait.v1.PushService", "grpc.health.v1.Health"}},
          {"toggle-handler",
           {"portrait.v1.ConsentService", "grpc.health.v1.Health"}},
          {"event-pipeline",
           {"portrait.v1.IngestService", "grpc.health.v1.Health"}},
          {"privacy-desk",
           {"portrait.v1.ProfileService", "portrait.v1.ConsentService",
            "grpc.health.v1.Health"}},
          {"shard-peer", {"portrait.v1.ShardService", "grpc.health.v1.Health"}},
      };
  return *granted;
}

// Every method the server hosts: the seven services' from their descriptors,
// the health check and server reflection.
std::vector<std::pair<std::string, std::string>> AllMethods() {
  std::vector<std::pair<std::string, std::string>> methods;  // service, path
  for (const std::string& name : {v1::IngestService::service_full_name(),
                                  v1::ConsentService::service_full_name(),
                                  v1::ProfileService::service_full_name(),
                                  v1::RecommendService::service_full_name(),
                                  v1::PushService::service_full_name(),
                                  v1::AdminService::service_full_name(),
                                  v1::ShardService::service_full_name()}) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            name);
    for (int m = 0; m < service->method_count(); ++m) {
      methods.emplace_back(
          name, absl::StrCat("/", name, "/", service->method(m)->name()));
    }
  }
  methods.emplace_back("grpc.health.v1.Health", "/grpc.health.v1.Health/Check");
  methods.emplace_back(
      "grpc.reflection.v1alpha.ServerReflection",
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo");
  return methods;
}

std::string Read(const std::string& path) {
  absl::StatusOr<std::string> text = ReadTextFile(path);
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : "";
}

class AccessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs_ = new TempDir();
    const std::string command =
        absl::StrCat("tools/make_dev_certs.sh ", certs_->path(), " >/dev/null");
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  static void TearDownTestSuite() { delete certs_; }

  static std::string Cert(const std::string& name, const std::string& ext) {
    return absl::StrCat(certs_->path(), "/", name, ".", ext);
  }

  PortraitServer::Options TlsOptions() {
    PortraitServer::Options options =
        TestServerOptions(dir_.path() + "/db", &clock_);
    options.plaintext = false;
    options.tls.cert_file = Cert("server", "pem");
    options.tls.key_file = Cert("server", "key");
    options.tls.client_ca_file = Cert("ca", "pem");
    options.tls.access_config_file = certs_->path() + "/access.textproto";
    return options;
  }

  void SetUp() override {
    auto started = PortraitServer::Start(TlsOptions());
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = std::move(*started);
  }

  // A channel presenting `name`'s certificate ("" for none).
  std::shared_ptr<grpc::Channel> ChannelAs(const std::string& name) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = Read(Cert("ca", "pem"));
    if (!name.empty()) {
      ssl.pem_private_key = Read(Cert(name, "key"));
      ssl.pem_cert_chain = Read(Cert(name, "pem"));
    }
    return grpc::CreateChannel(absl::StrCat("localhost:", server_->port()),
                               grpc::SslCredentials(ssl));
  }

  // Calls `method` with an empty request; returns the status.
  static grpc::Status Call(const std::shared_ptr<grpc::Channel>& channel,
                           const std::string& method) {
    grpc::GenericStub stub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
    grpc::ByteBuffer request, response;
    grpc::Slice empty("");
    request = grpc::ByteBuffer(&empty, 1);
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                   [&](grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  static TempDir* certs_;
  TempDir dir_;
  FakeClock clock_{kNow};
  std::unique_ptr<PortraitServer> server_;
};

TempDir* AccessTest::certs_ = nullptr;

TEST_F(AccessTest, EachRoleIsRefusedEveryMethodItDoesNotHold) {
  const auto methods = AllMethods();
  ASSERT_EQ(methods.size(), 26u);
  for (const auto& [role, services] : Granted()) {
    const auto channel = ChannelAs(role);
    int allowed = 0, refused = 0;
    for (const auto& [service, method] : methods) {
      const grpc::Status status = Call(channel, method);
      if (services.count(service)) {
        ++allowed;
        EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << role << " " << method;
        EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
            << role << " " << method;
      } else {
        ++refused;
        EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << role << " " << method << ": " << status.error_message();
        EXPECT_THAT(status.error_message(), HasSubstr(method));
        EXPECT_THAT(
            status.error_message(),
            HasSubstr(absl::StrCat("caller ", role, " with role ROLE_")));
      }
    }
    EXPECT_GT(allowed, 0) << role;
    EXPECT_GT(refused, 0) << role;
  }
  // The admin holds every method.
  const auto admin = ChannelAs("admin");
  for (const auto& [service, method] : methods) {
    const grpc::Status status = Call(admin, method);
    EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << method;
    EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << method;
  }
}

TEST_F(AccessTest, UnknownOrMissingCertificatesGetNothing) {
  const grpc::Status stranger =
      Call(ChannelAs("stranger"), "/grpc.health.v1.Health/Check");
  EXPECT_EQ(stranger.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(stranger.error_message(), HasSubstr("\"stranger\""));
  // Without a client certificate, or in plaintext, the handshake fails.
  EXPECT_EQ(Call(ChannelAs(""), "/grpc.health.v1.Health/Check").error_code(),
            grpc::StatusCode::UNAVAILABLE);
  const auto plaintext =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                          grpc::InsecureChannelCredentials());
  EXPECT_EQ(Call(plaintext, "/grpc.health.v1.Health/Check").error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(AccessTest, TheLedgerRecordsTheCertificateIdentity) {
  auto consent = v1::ConsentService::NewStub(ChannelAs("toggle-handler"));
  v1::SetConsentRequest request;
  request.set_user_id("ann");
  request.set_requester(v1::REQUESTER_USER);
  request.set_caller_id("says-it-is-someone-else");
  request.set_request_id("r1");
  request.set_policy_version(1);
  request.add_changes()->mutable_signal()->set_signal(v1::SEARCH);
  request.mutable_changes(0)->mutable_signal()->set_action(v1::FREEZE);
  v1::SetConsentResponse response;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(consent->SetConsent(&context, request, &response).ok());
  }
  auto desk = v1::ProfileService::NewStub(ChannelAs("privacy-desk"));
  v1::DeleteUserRequest deletion;
  deletion.set_user_id("bob");
  deletion.set_requester(v1::REQUESTER_PRIVACY_DESK);
  deletion.set_caller_id("desk-tool");
  v1::DeleteUserResponse deleted;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(desk->DeleteUser(&context, deletion, &deleted).ok());
  }
  for (const auto& [user, identity, claimed] :
       {std::tuple{"ann", "toggle-handler", "says-it-is-someone-else"},
        std::tuple{"bob", "privacy-desk", "desk-tool"}}) {
    v1::GetConsentHistoryRequest history;
    history.set_user_id(user);
    v1::GetConsentHistoryResponse ledger;
    grpc::ClientContext context;
    ASSERT_TRUE(consent->GetConsentHistory(&context, history, &ledger).ok());
    ASSERT_GT(ledger.entries_size(), 0);
    for (const v1::LedgerEntry& e : ledger.entries()) {
      EXPECT_EQ(e.authenticated_caller(), identity);
      EXPECT_EQ(e.caller_id(), claimed);
    }
  }
}

// A StreamEvents with no message, finished at once: its status.
grpc::Status EmptyStream(v1::IngestService::Stub& stub) {
  grpc::ClientContext context;
  v1::StreamEventsResponse response;
  auto writer = stub.StreamEvents(&context, &response);
  writer->WritesDone();
  return writer->Finish();
}

TEST_F(AccessTest, OneCallerCannotHoldEveryStream) {
  server_.reset();
  PortraitServer::Options options = TlsOptions();
  options.max_streams_per_caller = 1;
  auto started = PortraitServer::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  server_ = std::move(*started);
  auto pipeline = v1::IngestService::NewStub(ChannelAs("event-pipeline"));
  auto admin = v1::IngestService::NewStub(ChannelAs("admin"));

  // The pipeline holds one stream open.
  grpc::ClientContext held_context;
  v1::StreamEventsResponse held_response;
  auto held = pipeline->StreamEvents(&held_context, &held_response);
  // Its second is refused once the server holds the first.
  grpc::Status second;
  for (int i = 0; i < 250; ++i) {
    second = EmptyStream(*pipeline);
    if (!second.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(second.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(second.error_message(),
              HasSubstr("--max_streams_per_caller): event-pipeline has 1"));
  // Another caller is not affected.
  EXPECT_TRUE(EmptyStream(*admin).ok());
  // Once the first ends, the pipeline may stream again.
  held->WritesDone();
  EXPECT_TRUE(held->Finish().ok());
  EXPECT_TRUE(EmptyStream(*pipeline).ok());
}

TEST_F(AccessTest, TheServerRefusesUnsafeOrMalformedSecurity) {
  server_.reset();
  PortraitServer::Options plaintext_public =
      TestServerOptions(dir_.path() + "/db", &clock_);
  plaintext_public.listen_address = "0.0.0.0:0";
  EXPECT_EQ(PortraitServer::Start(plaintext_public).status().code(),
            absl::StatusCode::kFailedPrecondition);
  PortraitServer::Options neither = TlsOptions();
  neither.tls = {};
  EXPECT_THAT(PortraitServer::Start(neither).status().message(),
              HasSubstr("no TLS configured"));
  PortraitServer::Options both = TlsOptions();
  both.plaintext = true;
  EXPECT_EQ(PortraitServer::Start(both).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::string bad = dir_.path() + "/bad_access.textproto";
  ASSERT_EQ(
      std::system(
          absl::StrCat("echo 'callers { identity: \"x\" }' > ", bad).c_str()),
      0);
  PortraitServer::Options malformed = TlsOptions();
  malformed.tls.access_config_file = bad;
  const absl::Status status = PortraitServer::Start(malformed).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("callers[0].roles"));
}

}  // namespace
}  // namespace portrait
