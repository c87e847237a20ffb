#include "services/consent/policy.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/text_proto.h"

namespace portrait {
namespace {

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("consent policy: ", what));
}

absl::Status CheckSignal(const v1::SignalPolicy& s) {
  const std::string name = v1::Signal_Name(s.signal());
  if (s.default_state() != v1::GRANTED && s.default_state() != v1::DENIED) {
    return Invalid(
        absl::StrCat(name, ": default_state must be GRANTED or DENIED"));
  }
  if (s.allowed_actions().empty()) {
    return Invalid(absl::StrCat(name, ": allowed_actions is empty"));
  }
  bool default_allowed = false;
  for (int action : s.allowed_actions()) {
    if (action != v1::FREEZE && action != v1::STRIP) {
      return Invalid(absl::StrCat(name, ": allowed_actions holds ", action,
                                  "; only FREEZE and STRIP"));
    }
    default_allowed |= action == s.default_action();
  }
  if (!default_allowed) {
    return Invalid(
        absl::StrCat(name, ": default_action is not in allowed_actions"));
  }
  if (s.sensitive() &&
      (s.default_state() != v1::DENIED || s.allowed_actions_size() != 1 ||
       s.allowed_actions(0) != v1::STRIP)) {
    return Invalid(absl::StrCat(
        name,
        ": a sensitive signal must default to DENIED and allow only STRIP"));
  }
  if (s.retention_days() < 1) {
    return Invalid(absl::StrCat(name, ": retention_days must be >= 1"));
  }
  if (s.reconsent_since_version() < 0) {
    return Invalid(
        absl::StrCat(name, ": reconsent_since_version must be >= 0"));
  }
  return absl::OkStatus();
}

}  // namespace

ConsentPolicy::ConsentPolicy(v1::ConsentPolicy proto)
    : proto_(std::move(proto)) {
  signal_index_.fill(-1);
  purpose_index_.fill(-1);
  for (int i = 0; i < proto_.signals_size(); ++i) {
    signal_index_[proto_.signals(i).signal()] = i;
  }
  for (int i = 0; i < proto_.purposes_size(); ++i) {
    purpose_index_[proto_.purposes(i).purpose()] = i;
  }
}

absl::StatusOr<ConsentPolicy> ConsentPolicy::FromProto(
    const v1::ConsentPolicy& proto) {
  if (proto.version() < 1) return Invalid("version must be >= 1");
  if (proto.minor_age() < 1 || proto.minor_age() > 21) {
    return Invalid("minor_age must be 1 to 21");
  }
  std::array<bool, v1::Signal_ARRAYSIZE> seen_signal{};
  for (const v1::SignalPolicy& s : proto.signals()) {
    if (s.signal() == v1::SIGNAL_UNSPECIFIED ||
        !v1::Signal_IsValid(s.signal())) {
      return Invalid(absl::StrCat("unknown signal ", s.signal()));
    }
    if (seen_signal[s.signal()]) {
      return Invalid(
          absl::StrCat(v1::Signal_Name(s.signal()), " appears twice"));
    }
    seen_signal[s.signal()] = true;
    PORTRAIT_RETURN_IF_ERROR(CheckSignal(s));
  }
  for (int s = v1::Signal_MIN + 1; s <= v1::Signal_MAX; ++s) {
    if (v1::Signal_IsValid(s) && !seen_signal[s]) {
      return Invalid(absl::StrCat(v1::Signal_Name(static_cast<v1::Signal>(s)),
                                  " has no entry"));
    }
  }
  std::array<bool, v1::Purpose_ARRAYSIZE> seen_purpose{};
  for (const v1::PurposePolicy& p : proto.purposes()) {
    if (p.purpose() == v1::PURPOSE_UNSPECIFIED ||
        !v1::Purpose_IsValid(p.purpose()) || seen_purpose[p.purpose()]) {
      return Invalid(absl::StrCat("purpose ", p.purpose(),
                                  " is unknown or appears twice"));
    }
    seen_purpose[p.purpose()] = true;
  }
  for (int p = v1::Purpose_MIN + 1; p <= v1::Purpose_MAX; ++p) {
    if (v1::Purpose_IsValid(p) && !seen_purpose[p]) {
      return Invalid(absl::StrCat(v1::Purpose_Name(static_cast<v1::Purpose>(p)),
                                  " has no entry"));
    }
  }
  return ConsentPolicy(proto);
}

absl::StatusOr<ConsentPolicy> ConsentPolicy::FromText(const std::string& text) {
  v1::ConsentPolicy proto;
  absl::Status parsed = ParseTextProto(text, &proto);
  if (!parsed.ok()) return Invalid(parsed.message());
  return FromProto(proto);
}

absl::StatusOr<ConsentPolicy> ConsentPolicy::Load(const std::string& path) {
  return LoadConfigFile(path, "consent policy", &ConsentPolicy::FromText);
}

bool ConsentPolicy::Allows(v1::Signal signal,
                           v1::RevocationAction action) const {
  for (int allowed : this->signal(signal).allowed_actions()) {
    if (allowed == action) return true;
  }
  return false;
}

}  // namespace portrait
