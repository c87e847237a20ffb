// The recommender's configuration (portrait.v1.RankingConfig), loaded and
// checked once; immutable afterwards, so safe to share between threads.
#ifndef PORTRAIT_CONFIG_RANKING_CONFIG_H_
#define PORTRAIT_CONFIG_RANKING_CONFIG_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "models/blend.h"
#include "models/ials.h"
#include "portrait/v1/ranking.pb.h"

namespace portrait {

// The wire / stored name of a confidence function and back. Anything but
// CONFIDENCE_LOG reads as linear (records written before the field existed
// hold 0).
IalsConfidence ConfidenceFromProto(int confidence);
v1::Confidence ConfidenceToProto(IalsConfidence confidence);

class RankingConfig {
 public:
  // INVALID_ARGUMENT naming the knob and its range if a value is out of range,
  // a weight is negative, or a source or signal is unknown or repeated.
  static absl::StatusOr<RankingConfig> FromText(const std::string& text);
  // NOT_FOUND if unreadable, else as FromText.
  static absl::StatusOr<RankingConfig> Load(const std::string& path);
  // The shipped config/ranking.textproto.
  static const RankingConfig& Shipped();

  const std::array<double, kNumSources>& source_weights() const {
    return source_weights_;
  }
  // 0 for signals that do not count as engagement.
  double signal_weight(v1::Signal signal) const {
    return signal_weights_[signal];
  }
  bool IsEngagement(v1::Signal signal) const {
    return signal_weights_[signal] > 0;
  }
  const v1::RankingConfig& proto() const { return proto_; }
  // The trained model's hyper-parameters (proto().model()).
  const IalsOptions& model_options() const { return model_; }
  int64_t taste_half_life_ms() const {
    return int64_t{proto_.taste_half_life_hours()} * 3600 * 1000;
  }
  int64_t fresh_half_life_ms() const {
    return int64_t{proto_.fresh_half_life_hours()} * 3600 * 1000;
  }

 private:
  explicit RankingConfig(v1::RankingConfig proto);

  v1::RankingConfig proto_;
  std::array<double, kNumSources> source_weights_{};
  std::array<double, v1::Signal_ARRAYSIZE> signal_weights_{};
  IalsOptions model_;
};

}  // namespace portrait

#endif  // PORTRAIT_CONFIG_RANKING_CONFIG_H_
