#include "base/metrics.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace portrait {
namespace {

TEST(MetricsTest, RendersTheTextExpositionFormat) {
  Metrics metrics;
  Counter* calls =
      metrics.AddCounter("calls_total", "Finished calls.", {"method", "code"});
  Histogram* seconds =
      metrics.AddHistogram("call_seconds", "Call time.", {"method"}, {0.1, 1});
  metrics.AddGauge("queue_depth", "Waiting work.\nNow.", {}, [] {
    return std::vector<std::pair<LabelValues, double>>{{{}, 2.5}};
  });
  calls->Add({"/a.B/C", "OK"});
  calls->Add({"/a.B/C", "OK"}, 2);
  calls->Add({"/a.B/C", "NOT_FOUND"});
  seconds->Observe({"/a.B/C"}, 0.05);
  seconds->Observe({"/a.B/C"}, 0.1);  // On a bound: in that bucket.
  seconds->Observe({"/a.B/C"}, 0.5);
  seconds->Observe({"/a.B/C"}, 7);
  EXPECT_EQ(metrics.Render(),
            "# HELP calls_total Finished calls.\n"
            "# TYPE calls_total counter\n"
            "calls_total{method=\"/a.B/C\",code=\"NOT_FOUND\"} 1\n"
            "calls_total{method=\"/a.B/C\",code=\"OK\"} 3\n"
            "# HELP call_seconds Call time.\n"
            "# TYPE call_seconds histogram\n"
            "call_seconds_bucket{method=\"/a.B/C\",le=\"0.1\"} 2\n"
            "call_seconds_bucket{method=\"/a.B/C\",le=\"1\"} 3\n"
            "call_seconds_bucket{method=\"/a.B/C\",le=\"+Inf\"} 4\n"
            "call_seconds_sum{method=\"/a.B/C\"} 7.65\n"
            "call_seconds_count{method=\"/a.B/C\"} 4\n"
            "# HELP queue_depth Waiting work.\\nNow.\n"
            "# TYPE queue_depth gauge\n"
            "queue_depth 2.5\n");
}

TEST(MetricsTest, EscapesLabelValues) {
  Metrics metrics;
  metrics.AddCounter("c", "h", {"l"})->Add({"a\"b\\c\nd"});
  EXPECT_EQ(metrics.Render(),
            "# HELP c h\n# TYPE c counter\nc{l=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsTest, ConcurrentAddsAllCount) {
  Metrics metrics;
  Counter* counter = metrics.AddCounter("c", "h", {});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) counter->Add({});
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(metrics.Render(), "# HELP c h\n# TYPE c counter\nc 40000\n");
}

}  // namespace
}  // namespace portrait
