// The consent policy in force: per-signal defaults, sensitivity, revocation
// actions and retention; per-purpose defaults. Loaded once from a
// portrait.v1.ConsentPolicy text file and immutable afterwards, so it is
// safe to share between threads.
#ifndef PORTRAIT_SERVICES_CONSENT_POLICY_H_
#define PORTRAIT_SERVICES_CONSENT_POLICY_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "portrait/v1/policy.pb.h"

namespace portrait {

class ConsentPolicy {
 public:
  // Parses and checks a policy. INVALID_ARGUMENT, naming the rule broken, if
  // a signal or purpose is missing or repeated, a sensitive signal is not
  // opt-in STRIP-only, a default action is not allowed, a retention is < 1
  // day, or the version is < 1.
  static absl::StatusOr<ConsentPolicy> FromProto(
      const v1::ConsentPolicy& proto);
  static absl::StatusOr<ConsentPolicy> FromText(const std::string& text);
  // NOT_FOUND / PERMISSION_DENIED if unreadable, else as FromText.
  static absl::StatusOr<ConsentPolicy> Load(const std::string& path);

  int32_t version() const { return proto_.version(); }
  int32_t minor_age() const { return proto_.minor_age(); }

  // REQUIRES: `signal` is a known, specified signal (as validated requests
  // guarantee).
  const v1::SignalPolicy& signal(v1::Signal signal) const {
    return proto_.signals(signal_index_[signal]);
  }
  const v1::PurposePolicy& purpose(v1::Purpose purpose) const {
    return proto_.purposes(purpose_index_[purpose]);
  }
  bool Allows(v1::Signal signal, v1::RevocationAction action) const;
  int64_t RetentionMs(v1::Signal s) const {
    return int64_t{signal(s).retention_days()} * 24 * 3600 * 1000;
  }

  const v1::ConsentPolicy& proto() const { return proto_; }

 private:
  explicit ConsentPolicy(v1::ConsentPolicy proto);

  v1::ConsentPolicy proto_;
  // Index into proto_.signals() / purposes() by enum number.
  std::array<int, v1::Signal_ARRAYSIZE> signal_index_{};
  std::array<int, v1::Purpose_ARRAYSIZE> purpose_index_{};
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_CONSENT_POLICY_H_
