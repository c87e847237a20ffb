#include "services/grpc/status_conversion.h"

#include <chrono>
#include <string>

namespace portrait {
namespace {

// Abseil's codes are defined to match gRPC's; converting by number is safe
// as long as these hold.
#define PORTRAIT_SAME_CODE(absl_name, grpc_name)                   \
  static_assert(static_cast<int>(absl::StatusCode::absl_name) ==   \
                    static_cast<int>(grpc::StatusCode::grpc_name), \
                #absl_name " differs between Abseil and gRPC")
PORTRAIT_SAME_CODE(kOk, OK);
PORTRAIT_SAME_CODE(kCancelled, CANCELLED);
PORTRAIT_SAME_CODE(kUnknown, UNKNOWN);
PORTRAIT_SAME_CODE(kInvalidArgument, INVALID_ARGUMENT);
PORTRAIT_SAME_CODE(kDeadlineExceeded, DEADLINE_EXCEEDED);
PORTRAIT_SAME_CODE(kNotFound, NOT_FOUND);
PORTRAIT_SAME_CODE(kAlreadyExists, ALREADY_EXISTS);
PORTRAIT_SAME_CODE(kPermissionDenied, PERMISSION_DENIED);
PORTRAIT_SAME_CODE(kResourceExhausted, RESOURCE_EXHAUSTED);
PORTRAIT_SAME_CODE(kFailedPrecondition, FAILED_PRECONDITION);
PORTRAIT_SAME_CODE(kAborted, ABORTED);
PORTRAIT_SAME_CODE(kOutOfRange, OUT_OF_RANGE);
PORTRAIT_SAME_CODE(kUnimplemented, UNIMPLEMENTED);
PORTRAIT_SAME_CODE(kInternal, INTERNAL);
PORTRAIT_SAME_CODE(kUnavailable, UNAVAILABLE);
PORTRAIT_SAME_CODE(kDataLoss, DATA_LOSS);
PORTRAIT_SAME_CODE(kUnauthenticated, UNAUTHENTICATED);
#undef PORTRAIT_SAME_CODE

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

absl::Status CallCancellation::Check() const {
  // The deadline is compared directly: the call is cancelled for it only
  // once gRPC's timer has run.
  if (std::chrono::system_clock::now() >= context_.deadline()) {
    return absl::DeadlineExceededError(
        "the caller's deadline passed before the work was done");
  }
  if (context_.IsCancelled()) {
    return absl::CancelledError("the call was cancelled");
  }
  return absl::OkStatus();
}

}  // namespace portrait
