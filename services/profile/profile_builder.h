// ProfileService.GetProfile: the user's portrait, readable by a person. One
// block per signal with its consent state; features only for effective
// blocks; top interests with the signals they came from.
#ifndef PORTRAIT_SERVICES_PROFILE_PROFILE_BUILDER_H_
#define PORTRAIT_SERVICES_PROFILE_PROFILE_BUILDER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/clock.h"
#include "portrait/v1/profile.pb.h"
#include "services/portrait/portrait_index.h"

namespace portrait {

// INVALID_ARGUMENT for a malformed user_id.
absl::StatusOr<v1::GetProfileResponse> BuildProfile(const PortraitIndex& index,
                                                    const Clock& clock,
                                                    absl::string_view user_id);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_PROFILE_PROFILE_BUILDER_H_
