#include "services/consent/consent_view.h"

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace portrait {

ConsentView::ConsentView(const ConsentPolicy& policy,
                         const storage::ConsentRecord& record,
                         bool minor_by_stated_age)
    : policy_(policy),
      record_(record),
      minor_(record.minor() || minor_by_stated_age) {}

SignalView ConsentView::Signal(v1::Signal signal) const {
  const v1::SignalPolicy& rule = policy_.signal(signal);
  SignalView view;
  auto it = record_.signals().find(signal);
  if (it == record_.signals().end()) {
    view.state = rule.default_state();  // A default grant began at time 0.
  } else {
    view.state = it->second.state();
    view.since_ms = it->second.since_ms();
    view.policy_version = it->second.policy_version();
    view.frozen_until_ms = it->second.frozen_until_ms();
  }
  if (record_.account_deleted()) {
    view.reject_reason = v1::ACCOUNT_DELETED;
    view.ineffective_reason = "the account was deleted";
    return view;
  }
  switch (view.state) {
    case v1::GRANTED:
      break;
    case v1::FROZEN:
      view.reject_reason = v1::SIGNAL_FROZEN;
      return view;
    case v1::STRIPPED:
      view.reject_reason = v1::SIGNAL_STRIPPED;
      return view;
    default:
      view.reject_reason = v1::NO_CONSENT;
      return view;
  }
  if (view.policy_version < rule.reconsent_since_version()) {
    view.reject_reason = v1::RECONSENT_REQUIRED;
    view.ineffective_reason = absl::StrCat(
        "granted under policy version ", view.policy_version, "; version ",
        rule.reconsent_since_version(), " asks again");
    return view;
  }
  if (rule.sensitive() && restricted()) {
    view.reject_reason = v1::MINOR_RESTRICTED;
    view.ineffective_reason =
        "sensitive signal of a minor without guardian consent";
    return view;
  }
  view.effective = true;
  return view;
}

bool ConsentView::PurposeEnabled(v1::Purpose purpose) const {
  auto it = record_.purposes().find(purpose);
  return it != record_.purposes().end()
             ? it->second
             : policy_.purpose(purpose).default_enabled();
}

bool ConsentView::PurposeEffective(v1::Purpose purpose) const {
  if (record_.account_deleted() || !PurposeEnabled(purpose)) return false;
  return !(policy_.purpose(purpose).personalised() && restricted());
}

std::optional<Rejection> ConsentView::GateEvent(const v1::Event& event,
                                                int64_t now_ms) const {
  const SignalView view = Signal(event.signal());
  const std::string& name = v1::Signal_Name(event.signal());
  if (!view.effective) {
    return Rejection{view.reject_reason,
                     absl::StrCat("signal: ", name, " is ",
                                  v1::ConsentState_Name(view.state),
                                  view.ineffective_reason.empty() ? "" : " (",
                                  view.ineffective_reason,
                                  view.ineffective_reason.empty() ? "" : ")")};
  }
  if (event.occurred_at_ms() < view.since_ms) {
    return Rejection{
        v1::BEFORE_GRANT,
        absl::StrCat("occurred_at_ms: before the current grant of ", name,
                     " began at ", view.since_ms)};
  }
  const int64_t retention_ms = policy_.RetentionMs(event.signal());
  if (event.occurred_at_ms() < now_ms - retention_ms) {
    return Rejection{
        v1::TOO_OLD,
        absl::StrCat("occurred_at_ms: older than the ",
                     policy_.signal(event.signal()).retention_days(),
                     "-day retention of ", name)};
  }
  return std::nullopt;
}

v1::ConsentSnapshot ConsentView::Snapshot(absl::string_view user_id) const {
  v1::ConsentSnapshot snapshot;
  snapshot.set_user_id(std::string(user_id));
  snapshot.set_policy_version(policy_.version());
  for (int s = v1::Signal_MIN + 1; s <= v1::Signal_MAX; ++s) {
    if (!v1::Signal_IsValid(s)) continue;
    SignalView view = Signal(static_cast<v1::Signal>(s));
    v1::SignalConsent* out = snapshot.add_signals();
    out->set_signal(static_cast<v1::Signal>(s));
    out->set_state(view.state);
    out->set_since_ms(view.since_ms);
    out->set_effective(view.effective);
    out->set_ineffective_reason(view.ineffective_reason);
    out->set_policy_version(view.policy_version);
    out->set_frozen_until_ms(view.frozen_until_ms);
  }
  for (int p = v1::Purpose_MIN + 1; p <= v1::Purpose_MAX; ++p) {
    if (!v1::Purpose_IsValid(p)) continue;
    v1::PurposeConsent* out = snapshot.add_purposes();
    out->set_purpose(static_cast<v1::Purpose>(p));
    out->set_enabled(PurposeEnabled(out->purpose()));
    out->set_effective(PurposeEffective(out->purpose()));
  }
  for (const storage::RelationshipRecord& r : record_.relationships()) {
    v1::RelationshipEntry* out = snapshot.add_relationships();
    out->set_relationship(r.relationship());
    out->set_target_id(r.target_id());
    out->set_since_ms(r.since_ms());
  }
  snapshot.set_minor(minor_);
  snapshot.set_guardian_consent(record_.guardian_consent());
  snapshot.set_account_deleted(record_.account_deleted());
  return snapshot;
}

bool IsMinorByBirthYear(int32_t birth_year, int32_t minor_age, int64_t now_ms) {
  if (birth_year == 0) return false;
  const absl::CivilYear now_year =
      absl::ToCivilYear(absl::FromUnixMillis(now_ms), absl::UTCTimeZone());
  return now_year.year() - birth_year <= minor_age;
}

v1::ConsentState SnapshotState(const v1::ConsentSnapshot& snapshot,
                               v1::Signal signal) {
  for (const v1::SignalConsent& s : snapshot.signals()) {
    if (s.signal() == signal) return s.state();
  }
  return v1::CONSENT_STATE_UNSPECIFIED;
}

}  // namespace portrait
