#include "services/server/background_worker.h"

#include <algorithm>
#include <utility>

namespace portrait {

BackgroundWorker::BackgroundWorker(std::function<absl::Duration()> task,
                                   absl::Duration interval)
    : task_(std::move(task)),
      interval_(interval),
      thread_([this] { Loop(); }) {}

BackgroundWorker::~BackgroundWorker() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void BackgroundWorker::Notify() {
  absl::MutexLock lock(&mu_);
  notified_ = true;
}

void BackgroundWorker::Loop() {
  absl::Duration wait = interval_;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return notified_ || stopping_;
      };
      mu_.AwaitWithTimeout(absl::Condition(&woken), wait);
      if (stopping_) return;
      notified_ = false;
    }
    wait = std::min(task_(), interval_);
  }
}

}  // namespace portrait
