// The consent policy shipped in config/consent_policy.textproto, compiled
// into the binary so that portraitd with no flags has one.
#ifndef PORTRAIT_SERVICES_CONSENT_SHIPPED_POLICY_H_
#define PORTRAIT_SERVICES_CONSENT_SHIPPED_POLICY_H_

namespace portrait {

// The file's text, NUL-terminated.
extern const char kShippedConsentPolicy[];

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_CONSENT_SHIPPED_POLICY_H_
