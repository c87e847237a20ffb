// The one place an absl::Status becomes a grpc::Status.
#ifndef PORTRAIT_SERVICES_GRPC_STATUS_CONVERSION_H_
#define PORTRAIT_SERVICES_GRPC_STATUS_CONVERSION_H_

#include <grpcpp/support/status.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace portrait {

// Same code, same message.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Answers an RPC from a core result: moves the value into *response on
// success, converts the error otherwise.
template <typename T>
grpc::Status AnswerWith(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_GRPC_STATUS_CONVERSION_H_
