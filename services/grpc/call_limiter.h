// CallLimiter: at most N calls of one class in progress. A call beyond the
// limit is refused at once with RESOURCE_EXHAUSTED, never queued, so that an
// overloaded server keeps threads and memory for what it must always answer
// (consent changes and health checks, which no limiter covers).
#ifndef PORTRAIT_SERVICES_GRPC_CALL_LIMITER_H_
#define PORTRAIT_SERVICES_GRPC_CALL_LIMITER_H_

#include <atomic>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/grpc/status_conversion.h"

namespace portrait {

// Thread-safe.
class CallLimiter {
 public:
  // `what` names the class and the flag that sets the limit in the
  // RESOURCE_EXHAUSTED message. `limit` >= 1.
  CallLimiter(std::string what, int limit)
      : what_(std::move(what)), limit_(limit) {}

  // Holds one place until destroyed.
  class Slot {
   public:
    explicit Slot(std::atomic<int>* in_progress) : in_progress_(in_progress) {}
    Slot(Slot&& other) noexcept
        : in_progress_(std::exchange(other.in_progress_, nullptr)) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (in_progress_ != nullptr) in_progress_->fetch_sub(1);
    }

   private:
    std::atomic<int>* in_progress_;
  };

  // A place, or RESOURCE_EXHAUSTED when `limit` calls hold one.
  absl::StatusOr<Slot> Enter();

  int limit() const { return limit_; }

 private:
  const std::string what_;
  const int limit_;
  std::atomic<int> in_progress_{0};
};

// At most N streams in progress per authenticated caller, so that one
// caller cannot hold every stream the server can serve. Callers without an
// identity (a plaintext loopback server) are not counted. Thread-safe.
class PerCallerLimiter {
 public:
  // `limit` >= 1.
  explicit PerCallerLimiter(int limit) : limit_(limit) {}

  // Holds one of the caller's places until destroyed.
  class Slot {
   public:
    Slot(PerCallerLimiter* limiter, std::string caller)
        : limiter_(limiter), caller_(std::move(caller)) {}
    Slot(Slot&& other) noexcept
        : limiter_(std::exchange(other.limiter_, nullptr)),
          caller_(std::move(other.caller_)) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (limiter_ != nullptr) limiter_->Leave(caller_);
    }

   private:
    PerCallerLimiter* limiter_;
    std::string caller_;
  };

  // A place, or RESOURCE_EXHAUSTED naming the caller and the flag when the
  // caller holds `limit` streams.
  absl::StatusOr<Slot> Enter(const std::string& caller);

 private:
  void Leave(const std::string& caller);

  const int limit_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, int> streams_ ABSL_GUARDED_BY(mu_);
};

// The server's limits, one per class of call.
struct CallLimits {
  CallLimits(int max_reads, int max_writes, int max_streams_per_caller)
      : reads(
            "reads (Recommend, push candidates, profile, export, history; "
            "portraitd --max_concurrent_reads)",
            max_reads),
        writes(
            "writes (events, catalog, pushes, check-ins; portraitd "
            "--max_concurrent_writes)",
            max_writes),
        streams(max_streams_per_caller) {}

  // Reads that rank or scan: Recommend, push candidates and streams,
  // GetProfile, GetEventSummary, ExportUserData, GetHistory.
  CallLimiter reads;
  // Writes of events, catalog items, pushes and check-ins.
  CallLimiter writes;
  // Streams (StreamEvents, StreamPushCandidates, ExportUserData) per
  // caller, besides their class's limit.
  PerCallerLimiter streams;
};

// AnswerWith (status_conversion.h) inside a place of `limiter`.
template <typename Work, typename T>
grpc::Status AnswerWithin(CallLimiter& limiter,
                          const grpc::ServerContext& context, Work&& work,
                          T* response) {
  absl::StatusOr<CallLimiter::Slot> slot = limiter.Enter();
  if (!slot.ok()) return ToGrpcStatus(slot.status());
  return AnswerWith(context, std::forward<Work>(work), response);
}

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_GRPC_CALL_LIMITER_H_
