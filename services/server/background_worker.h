// BackgroundWorker: one thread that runs a task every `interval`, or sooner
// when Notify() is called or when the task asks for it, until destroyed. For
// maintenance work that must not run on RPC threads (retention, on-disk
// erasure).
#ifndef PORTRAIT_SERVICES_SERVER_BACKGROUND_WORKER_H_
#define PORTRAIT_SERVICES_SERVER_BACKGROUND_WORKER_H_

#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace portrait {

// Thread-safe.
class BackgroundWorker {
 public:
  // Starts the thread. `task` runs on it only, never concurrently with
  // itself; it returns how soon it wants to run again (capped at
  // `interval`; absl::InfiniteDuration() for "at the interval").
  BackgroundWorker(std::function<absl::Duration()> task,
                   absl::Duration interval);
  // Lets a running task finish, then joins the thread.
  ~BackgroundWorker();

  // Runs the task soon (again, if it is running now).
  void Notify();

 private:
  void Loop();

  // Constant after construction.
  const std::function<absl::Duration()> task_;
  const absl::Duration interval_;

  absl::Mutex mu_;
  bool notified_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  std::thread thread_;  // Last: starts after the fields above exist.
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_SERVER_BACKGROUND_WORKER_H_
