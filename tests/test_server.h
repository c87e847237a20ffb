// The fixture every integration test shares: a real PortraitServer, started
// in the test's process on a free loopback port over a temporary data
// directory, and a client of each of its services over one channel.
#ifndef PORTRAIT_TESTS_TEST_SERVER_H_
#define PORTRAIT_TESTS_TEST_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "base/clock.h"
#include "portrait/v1/consent.grpc.pb.h"
#include "portrait/v1/ingest.grpc.pb.h"
#include "portrait/v1/profile.grpc.pb.h"
#include "portrait/v1/push.grpc.pb.h"
#include "portrait/v1/recommend.grpc.pb.h"
#include "services/server/portrait_server.h"

namespace portrait {

// The contact key of test servers.
inline constexpr char kTestContactKey[] =
    "portrait test contact key, 32 bytes or more";

// The options TestServer::Start starts with: loopback port 0, a small block
// cache, kTestContactKey, background model training off (tests call
// PortraitServer::TrainModel, so answers depend only on what the test did)
// and on-disk erasure whenever maintenance runs.
PortraitServer::Options TestServerOptions(const std::string& data_dir,
                                          const Clock* clock);

// A started server and its clients. Null members mean not started (or the
// start failed, which has failed the current test).
struct TestServer {
  std::unique_ptr<PortraitServer> server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::IngestService::Stub> ingest;
  std::unique_ptr<v1::ConsentService::Stub> consent;
  std::unique_ptr<v1::ProfileService::Stub> profile;
  std::unique_ptr<v1::RecommendService::Stub> recommend;
  std::unique_ptr<v1::PushService::Stub> push;

  // Starts a server with `options` and connects the clients to it. Returns
  // false, after failing the current test, if it cannot.
  bool Start(const PortraitServer::Options& options);
  // Starts TestServerOptions(data_dir, clock) with `ranking_path` (empty =
  // the shipped ranking configuration).
  bool Start(const std::string& data_dir, const Clock* clock,
             const std::string& ranking_path = "");
  // Drops the clients, then shuts the server down. The data stays.
  void Stop();
};

// Writes the shipped ranking configuration with every candidate source
// weighted 1 to `path` (tests that must see every source's effect whatever
// the shipped blend weighs) and returns `path`.
std::string WriteEverySourceRanking(const std::string& path);

// A channel to 127.0.0.1:port, waited on until connected (5 s at most).
std::shared_ptr<grpc::Channel> ConnectTo(int port);

// The user's own SetConsentRequest with the one `change`, under policy
// version 1 (the shipped policy's), from `caller_id`.
v1::SetConsentRequest UserConsentRequest(const std::string& user,
                                         const std::string& request_id,
                                         const std::string& caller_id,
                                         v1::ConsentChange change);
// A change of `signal`'s grant, with `action` where it revokes.
v1::ConsentChange ChangeOfSignal(
    v1::Signal signal, bool grant,
    v1::RevocationAction action = v1::REVOCATION_ACTION_UNSPECIFIED);
// A change of whether `purpose` is enabled.
v1::ConsentChange ChangeOfPurpose(v1::Purpose purpose, bool enabled);

}  // namespace portrait

#endif  // PORTRAIT_TESTS_TEST_SERVER_H_
