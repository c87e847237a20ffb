// Where the gRPC adapters meet the core: the one place an absl::Status
// becomes a grpc::Status, and a call's deadline and cancellation become a
// Cancellation.
#ifndef PORTRAIT_SERVICES_GRPC_STATUS_CONVERSION_H_
#define PORTRAIT_SERVICES_GRPC_STATUS_CONVERSION_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/cancellation.h"

namespace portrait {

// Same code, same message.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Fires once nobody waits for the call any more: DEADLINE_EXCEEDED when the
// caller's deadline has passed, CANCELLED when the caller cancelled (or the
// server is shutting the call down).
class CallCancellation : public Cancellation {
 public:
  explicit CallCancellation(const grpc::ServerContext& context)
      : context_(context) {}
  absl::Status Check() const override;

 private:
  const grpc::ServerContext& context_;
};

// Answers an RPC from a core result: moves the value into *response on
// success, converts the error otherwise.
template <typename T>
grpc::Status AnswerWith(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

// Answers an RPC with work(call) -> absl::StatusOr<T>, where `call` is the
// call's CallCancellation, unless nobody waits for the call any more (it
// waited in the queue past its deadline, or was cancelled): then with that
// error, and the work is not started.
template <typename Work, typename T>
grpc::Status AnswerWith(const grpc::ServerContext& context, Work&& work,
                        T* response) {
  const CallCancellation call(context);
  if (absl::Status wanted = call.Check(); !wanted.ok()) {
    return ToGrpcStatus(wanted);
  }
  return AnswerWith(std::forward<Work>(work)(call), response);
}

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_GRPC_STATUS_CONVERSION_H_
