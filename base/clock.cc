#include "base/clock.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace portrait {

RealClock* RealClock::Get() {
  static RealClock* const clock = new RealClock();
  return clock;
}

int64_t RealClock::NowMillis() const { return absl::ToUnixMillis(absl::Now()); }

}  // namespace portrait
