#include "config/ranking_config.h"

#include <utility>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "base/text_proto.h"
#include "config/shipped_ranking.h"

namespace portrait {
namespace {

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("ranking config: ", what));
}

absl::Status CheckRange(absl::string_view name, int64_t value, int64_t lo,
                        int64_t hi) {
  if (value < lo || value > hi) {
    return Invalid(
        absl::StrCat(name, " is ", value, "; must be ", lo, " to ", hi));
  }
  return absl::OkStatus();
}

absl::Status CheckReal(absl::string_view name, double value, double lo,
                       double hi, bool lo_open = false) {
  if (!(value >= lo && value <= hi) || (lo_open && value == lo)) {
    return Invalid(absl::StrCat(name, " is ", value, "; must be ",
                                lo_open ? "> " : "", lo,
                                lo_open ? " and <= " : " to ", hi));
  }
  return absl::OkStatus();
}

absl::Status CheckPush(const v1::PushConfig& p) {
  PORTRAIT_RETURN_IF_ERROR(
      CheckRange("push.max_per_day", p.max_per_day(), 1, 100));
  PORTRAIT_RETURN_IF_ERROR(
      CheckRange("push.quiet_start_hour", p.quiet_start_hour(), 0, 23));
  PORTRAIT_RETURN_IF_ERROR(
      CheckRange("push.quiet_end_hour", p.quiet_end_hour(), 0, 23));
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(p.default_time_zone(), &zone)) {
    return Invalid(absl::StrCat("push.default_time_zone: \"",
                                p.default_time_zone(),
                                "\" is not a known IANA time zone"));
  }
  if (p.non_personalized() == v1::NON_PERSONALIZED_PUSH_UNSPECIFIED ||
      !v1::NonPersonalizedPush_IsValid(p.non_personalized())) {
    return Invalid(
        "push.non_personalized: must be NON_PERSONALIZED_POPULAR or "
        "NON_PERSONALIZED_NONE");
  }
  if (p.check_in_storage() == v1::CHECK_IN_STORAGE_UNSPECIFIED ||
      !v1::CheckInStorage_IsValid(p.check_in_storage())) {
    return Invalid(
        "push.check_in_storage: must be CHECK_IN_KEEP_NOTHING or "
        "CHECK_IN_KEEP_CELL");
  }
  return absl::OkStatus();
}

absl::Status CheckModel(const v1::ModelConfig& m) {
  PORTRAIT_RETURN_IF_ERROR(CheckRange("model.factors", m.factors(), 1, 512));
  PORTRAIT_RETURN_IF_ERROR(
      CheckRange("model.iterations", m.iterations(), 1, 100));
  PORTRAIT_RETURN_IF_ERROR(CheckReal("model.regularization", m.regularization(),
                                     0, 1e6, /*lo_open=*/true));
  PORTRAIT_RETURN_IF_ERROR(CheckReal("model.regularization_exponent",
                                     m.regularization_exponent(), 0, 2));
  PORTRAIT_RETURN_IF_ERROR(CheckReal("model.alpha", m.alpha(), 0, 1e4));
  if (m.confidence() != v1::CONFIDENCE_LINEAR &&
      m.confidence() != v1::CONFIDENCE_LOG) {
    return Invalid(
        "model.confidence must be CONFIDENCE_LINEAR or CONFIDENCE_LOG");
  }
  return CheckRange("model.cg_steps", m.cg_steps(), 0, 50);
}

absl::Status Check(const v1::RankingConfig& p) {
  std::array<bool, kNumSources> seen_source{};
  double popular = 0;
  for (const v1::SourceWeight& w : p.source_weights()) {
    if (w.source() <= 0 || w.source() >= kNumSources ||
        !v1::ReasonSource_IsValid(w.source()) || seen_source[w.source()]) {
      return Invalid(
          absl::StrCat("source ", w.source(), " is unknown or repeated"));
    }
    seen_source[w.source()] = true;
    if (!(w.weight() >= 0)) {
      return Invalid(absl::StrCat(v1::ReasonSource_Name(w.source()),
                                  " weight must be >= 0"));
    }
    if (w.source() == v1::POPULAR) popular = w.weight();
  }
  if (!(popular > 0)) {
    return Invalid(
        "POPULAR must weigh > 0: non-personalised answers rest on it "
        "(BRANDS and PEOPLE on it alone)");
  }
  std::array<bool, v1::Signal_ARRAYSIZE> seen_signal{};
  for (const v1::SignalWeight& w : p.signal_weights()) {
    if (w.signal() == v1::SIGNAL_UNSPECIFIED ||
        !v1::Signal_IsValid(w.signal()) || seen_signal[w.signal()]) {
      return Invalid(
          absl::StrCat("signal ", w.signal(), " is unknown or repeated"));
    }
    seen_signal[w.signal()] = true;
    if (!(w.weight() >= 0)) {
      return Invalid(
          absl::StrCat(v1::Signal_Name(w.signal()), " weight must be >= 0"));
    }
  }
  PORTRAIT_RETURN_IF_ERROR(CheckRange("co_set_size", p.co_set_size(), 2, 200));
  PORTRAIT_RETURN_IF_ERROR(
      CheckRange("neighbours_per_item", p.neighbours_per_item(), 1, 1000));
  PORTRAIT_RETURN_IF_ERROR(CheckRange("seed_items_per_request",
                                      p.seed_items_per_request(), 1,
                                      p.co_set_size()));
  PORTRAIT_RETURN_IF_ERROR(CheckRange("taste_half_life_hours",
                                      p.taste_half_life_hours(), 1, 1 << 20));
  PORTRAIT_RETURN_IF_ERROR(CheckRange("fresh_half_life_hours",
                                      p.fresh_half_life_hours(), 1, 1 << 20));
  PORTRAIT_RETURN_IF_ERROR(
      CheckRange("max_per_group", p.max_per_group(), 1, 100));
  PORTRAIT_RETURN_IF_ERROR(CheckRange("candidates_per_source",
                                      p.candidates_per_source(), 10, 10000));
  PORTRAIT_RETURN_IF_ERROR(CheckPush(p.push()));
  return CheckModel(p.model());
}

}  // namespace

IalsConfidence ConfidenceFromProto(int confidence) {
  return confidence == v1::CONFIDENCE_LOG ? IalsConfidence::kLog
                                          : IalsConfidence::kLinear;
}

v1::Confidence ConfidenceToProto(IalsConfidence confidence) {
  return confidence == IalsConfidence::kLog ? v1::CONFIDENCE_LOG
                                            : v1::CONFIDENCE_LINEAR;
}

RankingConfig::RankingConfig(v1::RankingConfig proto)
    : proto_(std::move(proto)) {
  const v1::ModelConfig& m = proto_.model();
  model_.factors = m.factors();
  model_.iterations = m.iterations();
  model_.regularization = static_cast<float>(m.regularization());
  model_.regularization_exponent =
      static_cast<float>(m.regularization_exponent());
  model_.alpha = static_cast<float>(m.alpha());
  model_.confidence = ConfidenceFromProto(m.confidence());
  model_.cg_steps = m.cg_steps();
  for (const v1::SourceWeight& w : proto_.source_weights()) {
    source_weights_[w.source()] = w.weight();
  }
  for (const v1::SignalWeight& w : proto_.signal_weights()) {
    signal_weights_[w.signal()] = w.weight();
  }
}

absl::StatusOr<RankingConfig> RankingConfig::FromText(const std::string& text) {
  v1::RankingConfig proto;
  absl::Status parsed = ParseTextProto(text, &proto);
  if (!parsed.ok()) return Invalid(parsed.message());
  PORTRAIT_RETURN_IF_ERROR(Check(proto));
  return RankingConfig(std::move(proto));
}

absl::StatusOr<RankingConfig> RankingConfig::Load(const std::string& path) {
  return LoadConfigFile(path, "ranking config", &RankingConfig::FromText);
}

const RankingConfig& RankingConfig::Shipped() {
  static const RankingConfig* const shipped = [] {
    absl::StatusOr<RankingConfig> config = FromText(kShippedRankingConfig);
    if (!config.ok()) {
      ABSL_RAW_LOG(FATAL, "shipped ranking config: %s",
                   config.status().ToString().c_str());
    }
    return new RankingConfig(*std::move(config));
  }();
  return *shipped;
}

}  // namespace portrait
