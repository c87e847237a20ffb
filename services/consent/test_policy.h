// The shipped consent policy (config/consent_policy.textproto), for tests.
#ifndef PORTRAIT_SERVICES_CONSENT_TEST_POLICY_H_
#define PORTRAIT_SERVICES_CONSENT_TEST_POLICY_H_

#include <functional>

#include "portrait/v1/policy.pb.h"
#include "services/consent/policy.h"

namespace portrait {

// The shipped policy; aborts the test binary if it does not load.
const ConsentPolicy& ShippedPolicy();

// The shipped policy with `edit` applied to its proto; aborts if invalid.
ConsentPolicy EditedPolicy(const std::function<void(v1::ConsentPolicy&)>& edit);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_CONSENT_TEST_POLICY_H_
