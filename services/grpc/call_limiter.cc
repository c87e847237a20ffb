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

absl::StatusOr<PerCallerLimiter::Slot> PerCallerLimiter::Enter(
    const std::string& caller) {
  if (caller.empty()) return Slot(nullptr, "");
  absl::MutexLock lock(&mu_);
  int& streams = streams_[caller];
  if (streams >= limit_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "streams per caller (portraitd --max_streams_per_caller): ", caller,
        " has ", streams,
        " streams open, the server's limit; finish one "
        "first"));
  }
  ++streams;
  return Slot(this, caller);
}

void PerCallerLimiter::Leave(const std::string& caller) {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(caller);
  if (it != streams_.end() && --it->second == 0) streams_.erase(it);
}

}  // namespace portrait
