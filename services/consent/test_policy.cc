#include "services/consent/test_policy.h"

#include "absl/base/internal/raw_logging.h"

namespace portrait {
namespace {

ConsentPolicy LoadOrDie() {
  // Tests run in their runfiles tree, where the config is at this path.
  absl::StatusOr<ConsentPolicy> policy =
      ConsentPolicy::Load("config/consent_policy.textproto");
  if (!policy.ok()) {
    ABSL_RAW_LOG(FATAL, "%s", policy.status().ToString().c_str());
  }
  return *std::move(policy);
}

}  // namespace

const ConsentPolicy& ShippedPolicy() {
  static const ConsentPolicy* const policy = new ConsentPolicy(LoadOrDie());
  return *policy;
}

ConsentPolicy EditedPolicy(
    const std::function<void(v1::ConsentPolicy&)>& edit) {
  v1::ConsentPolicy proto = ShippedPolicy().proto();
  edit(proto);
  absl::StatusOr<ConsentPolicy> policy = ConsentPolicy::FromProto(proto);
  if (!policy.ok()) {
    ABSL_RAW_LOG(FATAL, "%s", policy.status().ToString().c_str());
  }
  return *std::move(policy);
}

}  // namespace portrait
