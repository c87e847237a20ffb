#include "base/metrics.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace portrait {
namespace {

// A sample value: integers without a fraction, others with enough digits.
std::string Number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrFormat("%.0f", value);
  }
  return absl::StrFormat("%.15g", value);
}

std::string Escape(const std::string& text, bool quote) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

// {a="1",b="2"} with `extra` (already formatted, e.g. le="0.5") last; empty
// if there is no label at all.
std::string LabelText(const std::vector<std::string>& names,
                      const LabelValues& values, const std::string& extra) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    absl::StrAppend(&out, out.empty() ? "" : ",", names[i], "=\"",
                    Escape(values[i], true), "\"");
  }
  if (!extra.empty()) absl::StrAppend(&out, out.empty() ? "" : ",", extra);
  return out.empty() ? out : absl::StrCat("{", out, "}");
}

void Header(const std::string& name, const std::string& help,
            absl::string_view type, std::string* out) {
  absl::StrAppend(out, "# HELP ", name, " ", Escape(help, false), "\n",
                  "# TYPE ", name, " ", type, "\n");
}

}  // namespace

Counter::Counter(std::string name, std::string help,
                 std::vector<std::string> names)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(names)) {}

void Counter::Add(const LabelValues& labels, double n) {
  absl::MutexLock lock(&mu_);
  values_[labels] += n;
}

void Counter::Render(std::string* out) const {
  Header(name_, help_, "counter", out);
  absl::MutexLock lock(&mu_);
  for (const auto& [labels, value] : values_) {
    absl::StrAppend(out, name_, LabelText(label_names_, labels, ""), " ",
                    Number(value), "\n");
  }
}

Histogram::Histogram(std::string name, std::string help,
                     std::vector<std::string> names, std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(names)),
      bounds_(std::move(bounds)) {}

void Histogram::Observe(const LabelValues& labels, double value) {
  const size_t bucket =
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  absl::MutexLock lock(&mu_);
  Series& series = series_[labels];
  if (series.buckets.empty()) series.buckets.assign(bounds_.size(), 0);
  if (bucket < bounds_.size()) ++series.buckets[bucket];
  ++series.count;
  series.sum += value;
}

void Histogram::Render(std::string* out) const {
  Header(name_, help_, "histogram", out);
  absl::MutexLock lock(&mu_);
  for (const auto& [labels, series] : series_) {
    int64_t cumulative = 0;
    for (size_t i = 0; i < bounds_.size(); ++i) {
      cumulative += series.buckets[i];
      absl::StrAppend(
          out, name_, "_bucket",
          LabelText(label_names_, labels,
                    absl::StrCat("le=\"", Number(bounds_[i]), "\"")),
          " ", cumulative, "\n");
    }
    absl::StrAppend(out, name_, "_bucket",
                    LabelText(label_names_, labels, "le=\"+Inf\""), " ",
                    series.count, "\n");
    absl::StrAppend(out, name_, "_sum", LabelText(label_names_, labels, ""),
                    " ", Number(series.sum), "\n");
    absl::StrAppend(out, name_, "_count", LabelText(label_names_, labels, ""),
                    " ", series.count, "\n");
  }
}

Counter* Metrics::AddCounter(std::string name, std::string help,
                             std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  Family& family = families_.emplace_back();
  family.counter.reset(
      new Counter(std::move(name), std::move(help), std::move(label_names)));
  return family.counter.get();
}

Histogram* Metrics::AddHistogram(std::string name, std::string help,
                                 std::vector<std::string> label_names,
                                 std::vector<double> bounds) {
  absl::MutexLock lock(&mu_);
  Family& family = families_.emplace_back();
  family.histogram.reset(new Histogram(std::move(name), std::move(help),
                                       std::move(label_names),
                                       std::move(bounds)));
  return family.histogram.get();
}

void Metrics::AddGauge(std::string name, std::string help,
                       std::vector<std::string> label_names, GaugeReader read) {
  absl::MutexLock lock(&mu_);
  families_.emplace_back().gauge.reset(
      new Gauge{std::move(name), std::move(help), std::move(label_names),
                std::move(read)});
}

std::string Metrics::Render() const {
  std::vector<const Family*> families;
  {
    absl::MutexLock lock(&mu_);
    for (const Family& family : families_) families.push_back(&family);
  }
  std::string out;
  for (const Family* family : families) {
    if (family->counter != nullptr) family->counter->Render(&out);
    if (family->histogram != nullptr) family->histogram->Render(&out);
    if (const Gauge* gauge = family->gauge.get()) {
      Header(gauge->name, gauge->help, "gauge", &out);
      for (const auto& [labels, value] : gauge->read()) {
        absl::StrAppend(&out, gauge->name,
                        LabelText(gauge->label_names, labels, ""), " ",
                        Number(value), "\n");
      }
    }
  }
  return out;
}

}  // namespace portrait
