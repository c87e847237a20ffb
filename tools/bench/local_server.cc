#include "tools/bench/local_server.h"

#include <stdlib.h>

#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"

namespace portrait {

absl::StatusOr<std::unique_ptr<LocalServer>> LocalServer::Start(
    const std::string& data_dir) {
  PortraitServer::Options options;
  options.data_dir = data_dir;
  return Start(std::move(options));
}

absl::StatusOr<std::unique_ptr<LocalServer>> LocalServer::Start(
    PortraitServer::Options options) {
  std::unique_ptr<LocalServer> local(new LocalServer());
  if (options.data_dir.empty()) {
    char pattern[] = "/tmp/portrait_bench.XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
      return absl::UnavailableError(
          "cannot create a scratch directory in /tmp");
    }
    local->scratch_ = pattern;
    options.data_dir = absl::StrCat(pattern, "/db");
  }
  options.listen_address = "127.0.0.1:0";
  options.plaintext = true;  // In-process, on loopback.
  if (options.contact_key.empty()) options.contact_key = kBenchContactKey;
  PORTRAIT_ASSIGN_OR_RETURN(local->server_, PortraitServer::Start(options));
  return local;
}

LocalServer::~LocalServer() {
  server_.reset();
  if (!scratch_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(scratch_, ignored);
  }
}

std::string LocalServer::address() const {
  return absl::StrCat("127.0.0.1:", server_->port());
}

void DisableLockOrderChecking() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace portrait
