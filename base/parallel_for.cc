#include "base/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace portrait {

void ParallelForOnThreads(int threads, int64_t n, int64_t chunk,
                          const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (threads <= 1 || n <= chunk) {
    fn(0, n);
    return;
  }
  std::atomic<int64_t> next{0};
  const auto work = [&] {
    for (int64_t begin = next.fetch_add(chunk); begin < n;
         begin = next.fetch_add(chunk)) {
      fn(begin, std::min(n, begin + chunk));
    }
  };
  const int64_t chunks = (n + chunk - 1) / chunk;
  std::vector<std::thread> others;
  for (int t = 1; t < std::min<int64_t>(threads, chunks); ++t) {
    others.emplace_back(work);
  }
  work();
  for (std::thread& t : others) t.join();
}

}  // namespace portrait
