// Whether the one who asked for a long piece of work still wants it. Long
// loops (scans of unbounded ranges, streams, model training) check between
// steps and stop with the error; nothing they leave half-done may be
// visible (they stop before writing, or between complete writes).
#ifndef PORTRAIT_BASE_CANCELLATION_H_
#define PORTRAIT_BASE_CANCELLATION_H_

#include <atomic>
#include <string>
#include <utility>

#include "absl/status/status.h"

namespace portrait {

class Cancellation {
 public:
  virtual ~Cancellation() = default;

  // OK while the work is wanted; CANCELLED or DEADLINE_EXCEEDED, with a
  // message saying why, once it is not. Thread-safe; cheap enough to call
  // every few thousand steps.
  virtual absl::Status Check() const = 0;

  // Never fires: for work nobody can call off.
  static const Cancellation& Never();
};

// Fires when Cancel() is called, for good (a server shutting down).
class CancellationFlag : public Cancellation {
 public:
  // `reason`: the CANCELLED message.
  explicit CancellationFlag(std::string reason) : reason_(std::move(reason)) {}

  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  absl::Status Check() const override;

 private:
  const std::string reason_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace portrait

#endif  // PORTRAIT_BASE_CANCELLATION_H_
