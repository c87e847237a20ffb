#include "services/consent/policy.h"

#include <functional>

#include "base/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/consent/shipped_policy.h"
#include "services/consent/test_policy.h"

namespace portrait {
namespace {

using ::testing::HasSubstr;

TEST(ConsentPolicyTest, ShippedPolicyLoadsAndMatchesTheCompiledCopy) {
  const ConsentPolicy& policy = ShippedPolicy();
  EXPECT_EQ(policy.version(), 1);
  EXPECT_TRUE(policy.signal(v1::LOCATION).sensitive());
  EXPECT_TRUE(policy.signal(v1::CONTACTS).sensitive());
  EXPECT_EQ(policy.signal(v1::LOCATION).default_state(), v1::DENIED);
  EXPECT_EQ(policy.signal(v1::LIKE).default_state(), v1::GRANTED);
  EXPECT_TRUE(policy.Allows(v1::LIKE, v1::FREEZE));
  EXPECT_FALSE(policy.Allows(v1::LOCATION, v1::FREEZE));
  EXPECT_EQ(policy.RetentionMs(v1::LOCATION), int64_t{30} * 24 * 3600 * 1000);
  auto compiled = ConsentPolicy::FromText(kShippedConsentPolicy);
  ASSERT_THAT(compiled, IsOk());
  EXPECT_EQ(compiled->proto().SerializeAsString(),
            policy.proto().SerializeAsString());
}

absl::Status Edited(const std::function<void(v1::ConsentPolicy&)>& edit) {
  v1::ConsentPolicy proto = ShippedPolicy().proto();
  edit(proto);
  return ConsentPolicy::FromProto(proto).status();
}

v1::SignalPolicy& Find(v1::ConsentPolicy& p, v1::Signal s) {
  for (v1::SignalPolicy& sp : *p.mutable_signals()) {
    if (sp.signal() == s) return sp;
  }
  ADD_FAILURE() << "no " << v1::Signal_Name(s);
  return *p.mutable_signals(0);
}

TEST(ConsentPolicyTest, SensitiveSignalMustBeStripOnlyOptIn) {
  EXPECT_THAT(Edited([](v1::ConsentPolicy& p) {
                Find(p, v1::LOCATION).add_allowed_actions(v1::FREEZE);
              }),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("LOCATION: a sensitive signal")));
  EXPECT_THAT(Edited([](v1::ConsentPolicy& p) {
                Find(p, v1::CONTACTS).set_default_state(v1::GRANTED);
              }),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("CONTACTS: a sensitive signal")));
}

TEST(ConsentPolicyTest, EverySignalAndPurposeExactlyOnce) {
  EXPECT_THAT(
      Edited([](v1::ConsentPolicy& p) { p.mutable_signals()->RemoveLast(); }),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("has no entry")));
  EXPECT_THAT(
      Edited([](v1::ConsentPolicy& p) { *p.add_signals() = p.signals(0); }),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
  EXPECT_THAT(
      Edited([](v1::ConsentPolicy& p) { p.mutable_purposes()->RemoveLast(); }),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("has no entry")));
}

TEST(ConsentPolicyTest, DefaultActionMustBeAllowed) {
  EXPECT_THAT(
      Edited([](v1::ConsentPolicy& p) {
        v1::SignalPolicy& like = Find(p, v1::LIKE);
        like.clear_allowed_actions();
        like.add_allowed_actions(v1::FREEZE);
      }),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("LIKE: default_action is not in allowed_actions")));
}

TEST(ConsentPolicyTest, RetentionAndVersionLimits) {
  EXPECT_THAT(Edited([](v1::ConsentPolicy& p) {
                Find(p, v1::SEARCH).set_retention_days(0);
              }),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("SEARCH: retention_days must be >= 1")));
  EXPECT_THAT(Edited([](v1::ConsentPolicy& p) { p.set_version(0); }),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("version must be >= 1")));
}

TEST(ConsentPolicyTest, TextErrorsNameTheLine) {
  EXPECT_THAT(
      ConsentPolicy::FromText("version: 1\nnonsense: 2\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2")));
  EXPECT_THAT(ConsentPolicy::Load("/nonexistent/policy"),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace portrait
