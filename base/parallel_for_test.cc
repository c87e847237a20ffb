#include "base/parallel_for.h"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace portrait {
namespace {

TEST(ParallelForTest, CoversTheRangeOnceInChunks) {
  for (int threads : {1, 2, 4}) {
    for (int64_t n : {0, 1, 7, 64, 1000}) {
      std::vector<std::atomic<int>> hits(n);
      std::mutex mu;
      std::set<std::thread::id> ids;
      ParallelForOnThreads(threads, n, 8, [&](int64_t begin, int64_t end) {
        EXPECT_LT(begin, end);
        if (threads > 1) EXPECT_LE(end - begin, 8);
        for (int64_t i = begin; i < end; ++i) ++hits[i];
        std::lock_guard<std::mutex> lock(mu);
        ids.insert(std::this_thread::get_id());
      });
      for (int64_t i = 0; i < n; ++i) EXPECT_EQ(hits[i], 1) << i;
      if (n > 0) EXPECT_LE(ids.size(), static_cast<size_t>(threads));
    }
  }
}

TEST(ParallelForTest, OneThreadRunsInlineInOneCall) {
  int calls = 0;
  const std::thread::id self = std::this_thread::get_id();
  ParallelForOnThreads(1, 100, 8, [&](int64_t begin, int64_t end) {
    ++calls;
    EXPECT_EQ(begin, 0);
    EXPECT_EQ(end, 100);
    EXPECT_EQ(std::this_thread::get_id(), self);
  });
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace portrait
