// Runs a loop over [0, n) on several threads: the range is cut into chunks
// that the threads take in turn, so uneven work per index still spreads.
// Which thread runs which chunk varies between runs; callers whose chunks are
// independent get the same result every time.
#ifndef PORTRAIT_BASE_PARALLEL_FOR_H_
#define PORTRAIT_BASE_PARALLEL_FOR_H_

#include <cstdint>
#include <functional>

namespace portrait {

// Calls fn(begin, end) for consecutive chunks of at most `chunk` indices
// covering [0, n), on the calling thread and `threads` - 1 others, and
// returns when every call has returned. threads <= 1 runs fn(0, n) inline.
// REQUIRES: chunk >= 1.
void ParallelForOnThreads(int threads, int64_t n, int64_t chunk,
                          const std::function<void(int64_t, int64_t)>& fn);

}  // namespace portrait

#endif  // PORTRAIT_BASE_PARALLEL_FOR_H_
