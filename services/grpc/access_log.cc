#include "services/grpc/access_log.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/json_log.h"
#include "services/grpc/access_control.h"
#include "services/storage/ids.h"

namespace portrait {
namespace {

using grpc::experimental::InterceptionHookPoints;

std::string NewRequestId() {
  static std::atomic<int64_t> next{1};
  return absl::StrCat("srv-", next.fetch_add(1));
}

class AccessLog final : public grpc::experimental::Interceptor {
 public:
  explicit AccessLog(grpc::experimental::ServerRpcInfo* info)
      : info_(info), start_(absl::Now()) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      const auto* metadata = methods->GetRecvInitialMetadata();
      const auto it = metadata->find("x-request-id");
      if (it != metadata->end()) {
        const absl::string_view id(it->second.data(), it->second.size());
        if (ValidateId(id, "x-request-id", kMaxEventIdBytes).ok()) {
          request_id_ = std::string(id);
        }
      }
      if (request_id_.empty()) request_id_ = NewRequestId();
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      JsonLog("call")
          .Add("request_id", request_id_)
          .Add("method", info_->method())
          .Add("caller", CallerIdentity(*info_->server_context()))
          .Add("code", static_cast<int>(status.error_code()))
          .Add("ms", absl::ToDoubleMilliseconds(absl::Now() - start_))
          .Write();
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* const info_;
  const absl::Time start_;
  std::string request_id_;
};

}  // namespace

grpc::experimental::Interceptor* AccessLogFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new AccessLog(info);
}

}  // namespace portrait
