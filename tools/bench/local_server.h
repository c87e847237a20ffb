// LocalServer: a PortraitServer in the benchmark's own process, on loopback
// and a scratch data directory that is removed afterwards. Benchmarks and the
// load generator measure the real gRPC path against it.
#ifndef PORTRAIT_TOOLS_BENCH_LOCAL_SERVER_H_
#define PORTRAIT_TOOLS_BENCH_LOCAL_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/server/portrait_server.h"

namespace portrait {

// The contact key of benchmark servers: not a secret.
inline constexpr char kBenchContactKey[] =
    "portrait benchmark contact key, not a secret";

class LocalServer {
 public:
  // Starts a server on 127.0.0.1, port 0. `data_dir` empty means a new
  // directory under /tmp, removed by the destructor.
  static absl::StatusOr<std::unique_ptr<LocalServer>> Start(
      const std::string& data_dir = "");
  // The same with other options; listen_address is always loopback port 0
  // (plaintext), an empty data_dir means a scratch directory as above, and
  // an empty contact_key kBenchContactKey.
  static absl::StatusOr<std::unique_ptr<LocalServer>> Start(
      PortraitServer::Options options);
  ~LocalServer();

  // "127.0.0.1:port".
  std::string address() const;
  PortraitServer& server() { return *server_; }

 private:
  LocalServer() = default;

  std::unique_ptr<PortraitServer> server_;
  std::string scratch_;  // Removed on destruction when not empty.
};

// Turns off Abseil's lock-order checking, which updates a graph on every
// lock: for serving and benchmark binaries (tests keep it on).
void DisableLockOrderChecking();

}  // namespace portrait

#endif  // PORTRAIT_TOOLS_BENCH_LOCAL_SERVER_H_
