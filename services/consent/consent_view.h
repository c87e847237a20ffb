// ConsentView: what one user's stored consent record means under the policy
// in force: each signal's recorded and effective state, each purpose's
// setting, and the snapshot GetConsent returns. Pure: no storage, no clock
// (the caller passes what it read and the time). Cheap to build; not
// thread-safe, build one per use.
#ifndef PORTRAIT_SERVICES_CONSENT_CONSENT_VIEW_H_
#define PORTRAIT_SERVICES_CONSENT_CONSENT_VIEW_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "portrait/storage/records.pb.h"
#include "portrait/v1/consent.pb.h"
#include "portrait/v1/ingest.pb.h"
#include "services/consent/policy.h"
#include "services/consent/rejection.h"

namespace portrait {

// One signal's consent as it applies now.
struct SignalView {
  v1::ConsentState state = v1::DENIED;
  // See v1::SignalConsent.since_ms.
  int64_t since_ms = 0;
  int32_t policy_version = 0;
  int64_t frozen_until_ms = 0;
  // Collected and used now.
  bool effective = false;
  // When not effective: the ingest rejection that follows.
  v1::RejectReason reject_reason = v1::REJECT_REASON_UNSPECIFIED;
  std::string ineffective_reason;
};

class ConsentView {
 public:
  // `record` is the stored record (empty if none). `minor_by_stated_age`:
  // the user's own stated birth year makes them a minor. Both references
  // must outlive the view.
  ConsentView(const ConsentPolicy& policy, const storage::ConsentRecord& record,
              bool minor_by_stated_age);

  SignalView Signal(v1::Signal signal) const;
  bool PurposeEnabled(v1::Purpose purpose) const;
  bool PurposeEffective(v1::Purpose purpose) const;
  bool minor() const { return minor_; }
  // A minor without guardian consent: no sensitive signal, no personalised
  // purpose.
  bool restricted() const { return minor_ && !record_.guardian_consent(); }
  bool account_deleted() const { return record_.account_deleted(); }

  // Whether `event` may be stored, judged at `now_ms`; the rejection if not.
  std::optional<Rejection> GateEvent(const v1::Event& event,
                                     int64_t now_ms) const;

  v1::ConsentSnapshot Snapshot(absl::string_view user_id) const;

 private:
  const ConsentPolicy& policy_;
  const storage::ConsentRecord& record_;
  const bool minor_;
};

// Whether a stated birth year makes a user a minor at `now_ms`. With only
// the year known, a user is treated as a minor while they could still be
// under `minor_age` (now_year - birth_year <= minor_age): the protective
// reading. birth_year 0 (not stated) is never a minor.
bool IsMinorByBirthYear(int32_t birth_year, int32_t minor_age, int64_t now_ms);

// The state of `signal` in a snapshot Snapshot() made;
// CONSENT_STATE_UNSPECIFIED if it has no entry for it.
v1::ConsentState SnapshotState(const v1::ConsentSnapshot& snapshot,
                               v1::Signal signal);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_CONSENT_CONSENT_VIEW_H_
