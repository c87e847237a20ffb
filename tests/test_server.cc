#include "tests/test_server.h"

#include <chrono>
#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "config/ranking_config.h"
#include "gtest/gtest.h"
#include "portrait/v1/ranking.pb.h"

namespace portrait {

PortraitServer::Options TestServerOptions(const std::string& data_dir,
                                          const Clock* clock) {
  PortraitServer::Options options;
  options.listen_address = "127.0.0.1:0";
  options.data_dir = data_dir;
  options.block_cache_bytes = 8 << 20;
  options.clock = clock;
  options.auto_train = false;
  // Tests call RunMaintenance when they want on-disk erasure to run.
  options.plaintext = true;
  options.disk_erasure_interval = absl::ZeroDuration();
  options.retention_sweep_interval = absl::ZeroDuration();
  options.contact_key = kTestContactKey;
  return options;
}

bool TestServer::Start(const PortraitServer::Options& options) {
  auto started = PortraitServer::Start(options);
  EXPECT_TRUE(started.ok()) << started.status();
  if (!started.ok()) return false;
  server = std::move(*started);
  channel = ConnectTo(server->port());
  ingest = v1::IngestService::NewStub(channel);
  consent = v1::ConsentService::NewStub(channel);
  profile = v1::ProfileService::NewStub(channel);
  recommend = v1::RecommendService::NewStub(channel);
  push = v1::PushService::NewStub(channel);
  return true;
}

bool TestServer::Start(const std::string& data_dir, const Clock* clock,
                       const std::string& ranking_path) {
  PortraitServer::Options options = TestServerOptions(data_dir, clock);
  options.ranking_path = ranking_path;
  return Start(options);
}

void TestServer::Stop() {
  ingest.reset();
  consent.reset();
  profile.reset();
  recommend.reset();
  push.reset();
  channel.reset();
  server.reset();
}

std::string WriteEverySourceRanking(const std::string& path) {
  v1::RankingConfig config = RankingConfig::Shipped().proto();
  config.clear_source_weights();
  for (int s = 1; s < kNumSources; ++s) {
    v1::SourceWeight* weight = config.add_source_weights();
    weight->set_source(static_cast<v1::ReasonSource>(s));
    weight->set_weight(1);
  }
  std::ofstream out(path, std::ios::trunc);
  out << config.DebugString();
  out.close();
  EXPECT_TRUE(out.good()) << "cannot write " << path;
  return path;
}

std::shared_ptr<grpc::Channel> ConnectTo(int port) {
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  EXPECT_TRUE(channel->WaitForConnected(std::chrono::system_clock::now() +
                                        std::chrono::seconds(5)));
  return channel;
}

v1::SetConsentRequest UserConsentRequest(const std::string& user,
                                         const std::string& request_id,
                                         const std::string& caller_id,
                                         v1::ConsentChange change) {
  v1::SetConsentRequest request;
  request.set_user_id(user);
  request.set_requester(v1::REQUESTER_USER);
  request.set_caller_id(caller_id);
  request.set_request_id(request_id);
  request.set_policy_version(1);
  *request.add_changes() = std::move(change);
  return request;
}

v1::ConsentChange ChangeOfSignal(v1::Signal signal, bool grant,
                                 v1::RevocationAction action) {
  v1::ConsentChange change;
  change.mutable_signal()->set_signal(signal);
  change.mutable_signal()->set_grant(grant);
  change.mutable_signal()->set_action(action);
  return change;
}

v1::ConsentChange ChangeOfPurpose(v1::Purpose purpose, bool enabled) {
  v1::ConsentChange change;
  change.mutable_purpose()->set_purpose(purpose);
  change.mutable_purpose()->set_enabled(enabled);
  return change;
}

}  // namespace portrait
