// Percentiles of a benchmark's latencies.
#ifndef PORTRAIT_TOOLS_BENCH_PERCENTILES_H_
#define PORTRAIT_TOOLS_BENCH_PERCENTILES_H_

#include <algorithm>
#include <vector>

namespace portrait {

struct Percentiles {
  double p50 = 0, p99 = 0, max = 0;
};

// Of microsecond latencies; all 0 for none.
inline Percentiles Summarize(std::vector<double> us) {
  if (us.empty()) return {};
  std::sort(us.begin(), us.end());
  auto at = [&](double q) {
    return us[std::min(us.size() - 1, static_cast<size_t>(q * us.size()))];
  };
  return {at(0.50), at(0.99), us.back()};
}

}  // namespace portrait

#endif  // PORTRAIT_TOOLS_BENCH_PERCENTILES_H_
