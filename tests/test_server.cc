#include "tests/test_server.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace portrait {

std::unique_ptr<PortraitServer> StartTestServer(const std::string& data_dir,
                                                const Clock* clock) {
  PortraitServer::Options options;
  options.listen_address = "127.0.0.1:0";
  options.data_dir = data_dir;
  options.block_cache_bytes = 8 << 20;
  options.clock = clock;
  options.auto_train = false;
  auto server = PortraitServer::Start(options);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

std::shared_ptr<grpc::Channel> ConnectTo(int port) {
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  EXPECT_TRUE(channel->WaitForConnected(std::chrono::system_clock::now() +
                                        std::chrono::seconds(5)));
  return channel;
}

}  // namespace portrait
