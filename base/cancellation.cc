#include "base/cancellation.h"

namespace portrait {
namespace {

class NeverCancelled : public Cancellation {
 public:
  absl::Status Check() const override { return absl::OkStatus(); }
};

}  // namespace

const Cancellation& Cancellation::Never() {
  static const NeverCancelled never;
  return never;
}

absl::Status CancellationFlag::Check() const {
  return cancelled_.load(std::memory_order_relaxed)
             ? absl::CancelledError(reason_)
             : absl::OkStatus();
}

}  // namespace portrait
