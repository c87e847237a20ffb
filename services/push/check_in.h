// CheckInDesk: PushService.CheckIn. Whether a user's reported location is
// within a merchant's check-in radius, answered only while LOCATION is in
// effect for the user; keeps nothing of the location, or only its 0.1-degree
// cell as a LOCATION event through the ingestor's consent gate, as the push
// configuration's check_in_storage says. Thread-safe.
#ifndef PORTRAIT_SERVICES_PUSH_CHECK_IN_H_
#define PORTRAIT_SERVICES_PUSH_CHECK_IN_H_

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "portrait/v1/push.pb.h"
#include "services/ingest/event_ingestor.h"
#include "services/portrait/portrait_index.h"

namespace portrait {

// Check-in ids become event ids "check-in:<id>".
inline constexpr int kMaxCheckInIdBytes = 100;

class CheckInDesk {
 public:
  // All must outlive the desk.
  CheckInDesk(const PortraitIndex* index, EventIngestor* ingestor,
              const Clock* clock);

  // Errors: INVALID_ARGUMENT naming the field; FAILED_PRECONDITION when
  // LOCATION is not in effect for the user, the account was deleted, or the
  // merchant has no store location; NOT_FOUND for an unknown merchant;
  // storage errors (nothing stored).
  absl::StatusOr<v1::CheckInResponse> CheckIn(
      const v1::CheckInRequest& request);

 private:
  const PortraitIndex* const index_;
  EventIngestor* const ingestor_;
  const Clock* const clock_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_PUSH_CHECK_IN_H_
