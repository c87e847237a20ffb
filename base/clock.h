// Time, injected. Services read the time only through a Clock so that tests
// (and the strip-equivalence test of two servers) control it.
#ifndef PORTRAIT_BASE_CLOCK_H_
#define PORTRAIT_BASE_CLOCK_H_

#include <atomic>
#include <cstdint>

namespace portrait {

// Thread-safe source of wall-clock time.
class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch, UTC.
  virtual int64_t NowMillis() const = 0;
};

// The system clock. Thread-safe; a process-wide instance is RealClock::Get().
class RealClock : public Clock {
 public:
  static RealClock* Get();
  int64_t NowMillis() const override;
};

// A clock that moves only when told. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t now_ms) : now_ms_(now_ms) {}
  int64_t NowMillis() const override { return now_ms_.load(); }
  void SetMillis(int64_t now_ms) { now_ms_.store(now_ms); }
  void AdvanceMillis(int64_t delta_ms) { now_ms_.fetch_add(delta_ms); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace portrait

#endif  // PORTRAIT_BASE_CLOCK_H_
