// Integration-test helpers: a real PortraitServer on port 0 over a temporary
// data directory, and gRPC stubs connected to it.
#ifndef PORTRAIT_TESTS_TEST_SERVER_H_
#define PORTRAIT_TESTS_TEST_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "base/clock.h"
#include "portrait/v1/ingest.grpc.pb.h"
#include "portrait/v1/profile.grpc.pb.h"
#include "services/server/portrait_server.h"

namespace portrait {

// The options StartTestServer starts with (a test may change some and call
// PortraitServer::Start itself).
PortraitServer::Options TestServerOptions(const std::string& data_dir,
                                          const Clock* clock);

// Starts a server over `data_dir` on a free loopback port; fails the current
// test (and returns nullptr) if it cannot. Background model training is off
// (tests call PortraitServer::TrainModel), so answers depend only on what the
// test did; on-disk erasure runs whenever maintenance does. `ranking_path`
// empty means the shipped ranking configuration.
std::unique_ptr<PortraitServer> StartTestServer(
    const std::string& data_dir, const Clock* clock,
    const std::string& ranking_path = "");

// Writes the shipped ranking configuration with every candidate source
// weighted 1 to `path` (tests that must see every source's effect whatever
// the shipped blend weighs) and returns `path`.
std::string WriteEverySourceRanking(const std::string& path);

// A channel to 127.0.0.1:port, waited on until connected (5 s at most).
std::shared_ptr<grpc::Channel> ConnectTo(int port);

}  // namespace portrait

#endif  // PORTRAIT_TESTS_TEST_SERVER_H_
