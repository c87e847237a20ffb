// The access log: one JSON line per finished call (base/json_log.h) with
// its request id (the caller's "x-request-id" metadata when it is a valid
// id, else one the server makes), method, authenticated caller, status code
// and milliseconds. Never the request, the response or the status message,
// which can hold what a user did.
#ifndef PORTRAIT_SERVICES_GRPC_ACCESS_LOG_H_
#define PORTRAIT_SERVICES_GRPC_ACCESS_LOG_H_

#include <grpcpp/support/server_interceptor.h>

namespace portrait {

class AccessLogFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_GRPC_ACCESS_LOG_H_
