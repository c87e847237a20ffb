// Metrics: labelled counters, histograms and gauges, rendered in the
// Prometheus text exposition format (version 0.0.4) for a scraper.
//
//   Metrics metrics;
//   Counter* calls = metrics.AddCounter("portrait_rpc_requests_total",
//                                       "Finished calls.", {"method", "code"});
//   calls->Add({"/portrait.v1.ConsentService/SetConsent", "OK"});
//   std::string page = metrics.Render();
//
// Families are declared once, before use, and live as long as the Metrics.
// Adding to a counter or observing a histogram takes the family's lock and
// one map lookup. Gauges are read by their callback at each Render.
// Thread-safe.
#ifndef PORTRAIT_BASE_METRICS_H_
#define PORTRAIT_BASE_METRICS_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace portrait {

// Label values, in the order of the family's label names.
using LabelValues = std::vector<std::string>;

class Counter {
 public:
  // REQUIRES: one value per label name; n >= 0.
  void Add(const LabelValues& labels, double n = 1);

 private:
  friend class Metrics;
  Counter(std::string name, std::string help, std::vector<std::string> names);
  void Render(std::string* out) const;

  const std::string name_, help_;
  const std::vector<std::string> label_names_;
  mutable absl::Mutex mu_;
  std::map<LabelValues, double> values_ ABSL_GUARDED_BY(mu_);
};

class Histogram {
 public:
  // REQUIRES: one value per label name.
  void Observe(const LabelValues& labels, double value);

 private:
  friend class Metrics;
  Histogram(std::string name, std::string help, std::vector<std::string> names,
            std::vector<double> bounds);
  void Render(std::string* out) const;

  struct Series {
    std::vector<int64_t> buckets;  // Per bound, not cumulative.
    int64_t count = 0;
    double sum = 0;
  };
  const std::string name_, help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;  // Ascending upper bounds.
  mutable absl::Mutex mu_;
  std::map<LabelValues, Series> series_ ABSL_GUARDED_BY(mu_);
};

class Metrics {
 public:
  using GaugeReader =
      std::function<std::vector<std::pair<LabelValues, double>>()>;

  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // `name` must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
  // [a-zA-Z_][a-zA-Z0-9_]*; each name declared once.
  Counter* AddCounter(std::string name, std::string help,
                      std::vector<std::string> label_names);
  // `bounds`: ascending bucket upper bounds (+Inf is added).
  Histogram* AddHistogram(std::string name, std::string help,
                          std::vector<std::string> label_names,
                          std::vector<double> bounds);
  // A gauge whose samples `read` returns at each Render, called without
  // any lock of this object held.
  void AddGauge(std::string name, std::string help,
                std::vector<std::string> label_names, GaugeReader read);

  // Every family, in declaration order.
  std::string Render() const;

 private:
  struct Gauge {
    std::string name, help;
    std::vector<std::string> label_names;
    GaugeReader read;
  };
  struct Family {
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Histogram> histogram;
    std::unique_ptr<Gauge> gauge;
  };
  mutable absl::Mutex mu_;
  std::deque<Family> families_ ABSL_GUARDED_BY(mu_);  // Stable addresses.
};

}  // namespace portrait

#endif  // PORTRAIT_BASE_METRICS_H_
