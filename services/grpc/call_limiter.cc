#include "services/grpc/call_limiter.h"

#include "absl/strings/str_cat.h"

namespace portrait {

absl::StatusOr<CallLimiter::Slot> CallLimiter::Enter() {
  if (in_progress_.fetch_add(1) >= limit_) {
    in_progress_.fetch_sub(1);
    return absl::ResourceExhaustedError(
        absl::StrCat(what_, ": ", limit_,
                     " calls are in progress, the server's limit; retry with "
                     "backoff"));
  }
  return Slot(&in_progress_);
}

}  // namespace portrait
