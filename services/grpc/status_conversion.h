// The one place an absl::Status becomes a grpc::Status.
#ifndef PORTRAIT_SERVICES_GRPC_STATUS_CONVERSION_H_
#define PORTRAIT_SERVICES_GRPC_STATUS_CONVERSION_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace portrait {

// Same code, same message.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The reverse, for clients and tests.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_GRPC_STATUS_CONVERSION_H_
