#include "services/consent/consent_changes.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "services/consent/consent_view.h"
#include "services/storage/ids.h"

namespace portrait {
namespace {

using storage::ConsentRecord;

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::Status Precondition(absl::string_view field, absl::string_view problem) {
  return absl::FailedPreconditionError(absl::StrCat(field, ": ", problem));
}

const char* OnOff(bool on) { return on ? "on" : "off"; }

absl::Status ValidateChange(const v1::ConsentChange& change,
                            absl::string_view field) {
  switch (change.change_case()) {
    case v1::ConsentChange::kSignal: {
      const v1::SignalChange& c = change.signal();
      if (c.signal() == v1::SIGNAL_UNSPECIFIED ||
          !v1::Signal_IsValid(c.signal())) {
        return Invalid(
            absl::StrCat(field, ".signal.signal"),
            absl::StrCat("must be a known signal, not ", c.signal()));
      }
      if (!v1::RevocationAction_IsValid(c.action())) {
        return Invalid(
            absl::StrCat(field, ".signal.action"),
            absl::StrCat("must be FREEZE, STRIP or unset, not ", c.action()));
      }
      if (c.grant() && c.action() != v1::REVOCATION_ACTION_UNSPECIFIED) {
        return Invalid(absl::StrCat(field, ".signal.action"),
                       "must be unset when granting");
      }
      return absl::OkStatus();
    }
    case v1::ConsentChange::kPurpose:
      if (change.purpose().purpose() == v1::PURPOSE_UNSPECIFIED ||
          !v1::Purpose_IsValid(change.purpose().purpose())) {
        return Invalid(absl::StrCat(field, ".purpose.purpose"),
                       absl::StrCat("must be a known purpose, not ",
                                    change.purpose().purpose()));
      }
      return absl::OkStatus();
    case v1::ConsentChange::kRelationship:
      if (change.relationship().relationship() ==
              v1::RELATIONSHIP_UNSPECIFIED ||
          !v1::Relationship_IsValid(change.relationship().relationship())) {
        return Invalid(absl::StrCat(field, ".relationship.relationship"),
                       absl::StrCat("must be a known relationship, not ",
                                    change.relationship().relationship()));
      }
      return ValidateId(change.relationship().target_id(),
                        absl::StrCat(field, ".relationship.target_id"));
    case v1::ConsentChange::kMinorStatus:
    case v1::ConsentChange::kGuardianConsent:
      return absl::OkStatus();
    case v1::ConsentChange::CHANGE_NOT_SET:
      break;
  }
  return Invalid(field,
                 "must set one of signal, purpose, relationship, "
                 "minor_status, guardian_consent");
}

// Shared state of one ApplyChanges call.
struct Context {
  const ConsentPolicy& policy;
  const v1::SetConsentRequest& request;
  int64_t now_ms;
  bool minor_by_stated_age;
  ConsentRecord* record;
  AppliedChanges* out;

  ConsentView View() const {
    return ConsentView(policy, *record, minor_by_stated_age);
  }
};

absl::Status GrantSignal(const Context& ctx, v1::Signal signal,
                         absl::string_view field, v1::LedgerEntry* entry) {
  const v1::SignalPolicy& rule = ctx.policy.signal(signal);
  const std::string& name = v1::Signal_Name(signal);
  if (rule.sensitive() &&
      ctx.request.policy_version() != ctx.policy.version()) {
    return Precondition(
        "policy_version",
        absl::StrCat("granting the sensitive signal ", name,
                     " needs the current policy "
                     "version ",
                     ctx.policy.version(), "; the request names ",
                     ctx.request.policy_version()));
  }
  if (ctx.request.policy_version() < rule.reconsent_since_version()) {
    return Precondition(
        "policy_version",
        absl::StrCat("granting ", name, " needs policy version ",
                     rule.reconsent_since_version(),
                     " or later; the request names ",
                     ctx.request.policy_version()));
  }
  if (rule.sensitive() && ctx.View().restricted()) {
    return Precondition(field,
                        absl::StrCat("the user is a minor without guardian "
                                     "consent and cannot be granted "
                                     "the sensitive signal ",
                                     name));
  }
  const SignalView before = ctx.View().Signal(signal);
  if (before.effective) return absl::OkStatus();  // Already granted: no-op.
  storage::SignalRecord& r = (*ctx.record->mutable_signals())[signal];
  r.set_state(v1::GRANTED);
  r.set_since_ms(ctx.now_ms);  // Only events from now on are accepted.
  r.set_policy_version(ctx.request.policy_version());
  r.set_frozen_until_ms(0);
  entry->set_new_value("GRANTED");
  return absl::OkStatus();
}

absl::Status RevokeSignal(const Context& ctx, const v1::SignalChange& change,
                          absl::string_view field, v1::LedgerEntry* entry) {
  const v1::Signal signal = change.signal();
  const v1::SignalPolicy& rule = ctx.policy.signal(signal);
  v1::RevocationAction action =
      change.action() == v1::REVOCATION_ACTION_UNSPECIFIED
          ? rule.default_action()
          : change.action();
  if (!ctx.policy.Allows(signal, action)) {
    return Precondition(
        absl::StrCat(field, ".signal.action"),
        absl::StrCat(v1::RevocationAction_Name(action), " is not allowed for ",
                     v1::Signal_Name(signal),
                     rule.sensitive() ? " (sensitive: STRIP only)" : ""));
  }
  entry->set_action(action);
  const SignalView before = ctx.View().Signal(signal);
  // GRANTED (effective or not) can be frozen or stripped; FROZEN can be
  // stripped. DENIED and STRIPPED hold no data: nothing changes.
  const bool from_granted = before.state == v1::GRANTED;
  const bool frozen_to_strip =
      before.state == v1::FROZEN && action == v1::STRIP;
  if (!from_granted && !frozen_to_strip) return absl::OkStatus();
  Revocation revocation{signal, action, action == v1::STRIP};
  storage::SignalRecord& r = (*ctx.record->mutable_signals())[signal];
  r.set_state(action == v1::STRIP ? v1::STRIPPED : v1::FROZEN);
  r.set_since_ms(ctx.now_ms);
  r.set_policy_version(ctx.request.policy_version());
  r.set_frozen_until_ms(0);
  if (action == v1::FREEZE) {
    // The ledger indexes this deadline from the record (retention strip).
    r.set_frozen_until_ms(ctx.now_ms + ctx.policy.RetentionMs(signal));
  }
  ctx.out->revocations.push_back(revocation);
  entry->set_new_value(v1::ConsentState_Name(r.state()));
  return absl::OkStatus();
}

absl::Status ApplySignal(const Context& ctx, const v1::SignalChange& change,
                         absl::string_view field, v1::LedgerEntry* entry) {
  const std::string old_value =
      v1::ConsentState_Name(ctx.View().Signal(change.signal()).state);
  entry->set_old_value(old_value);
  entry->set_new_value(old_value);
  return change.grant() ? GrantSignal(ctx, change.signal(), field, entry)
                        : RevokeSignal(ctx, change, field, entry);
}

absl::Status ApplyPurpose(const Context& ctx, const v1::PurposeChange& change,
                          absl::string_view field, v1::LedgerEntry* entry) {
  const ConsentView view = ctx.View();
  if (change.enabled() && view.restricted() &&
      ctx.policy.purpose(change.purpose()).personalised()) {
    return Precondition(
        field,
        absl::StrCat(
            "the user is a minor without guardian consent; the personalised "
            "purpose ",
            v1::Purpose_Name(change.purpose()), " cannot be enabled"));
  }
  entry->set_old_value(OnOff(view.PurposeEnabled(change.purpose())));
  (*ctx.record->mutable_purposes())[change.purpose()] = change.enabled();
  entry->set_new_value(OnOff(change.enabled()));
  return absl::OkStatus();
}

absl::Status ApplyRelationship(const Context& ctx,
                               const v1::RelationshipChange& change,
                               absl::string_view field,
                               v1::LedgerEntry* entry) {
  if (change.target_id() == ctx.request.user_id()) {
    return Invalid(absl::StrCat(field, ".relationship.target_id"),
                   "must not be the user's own id");
  }
  auto* list = ctx.record->mutable_relationships();
  auto key = [](const storage::RelationshipRecord& r) {
    return std::pair<int, const std::string&>(r.relationship(), r.target_id());
  };
  storage::RelationshipRecord wanted;
  wanted.set_relationship(change.relationship());
  wanted.set_target_id(change.target_id());
  auto it = std::lower_bound(
      list->begin(), list->end(), wanted,
      [&](const auto& a, const auto& b) { return key(a) < key(b); });
  const bool present = it != list->end() && key(*it) == key(wanted);
  entry->set_old_value(present ? "present" : "absent");
  entry->set_new_value(change.add() ? "present" : "absent");
  if (change.add() && !present) {
    wanted.set_since_ms(ctx.now_ms);
    // RepeatedPtrField has no insert: append, then rotate into place.
    int index = static_cast<int>(it - list->begin());
    *list->Add() = wanted;
    for (int i = list->size() - 1; i > index; --i) list->SwapElements(i, i - 1);
  } else if (!change.add() && present) {
    list->erase(it);
  }
  return absl::OkStatus();
}

absl::Status ApplyOne(const Context& ctx, const v1::ConsentChange& change,
                      absl::string_view field, v1::LedgerEntry* entry) {
  switch (change.change_case()) {
    case v1::ConsentChange::kSignal:
      return ApplySignal(ctx, change.signal(), field, entry);
    case v1::ConsentChange::kPurpose:
      return ApplyPurpose(ctx, change.purpose(), field, entry);
    case v1::ConsentChange::kRelationship:
      return ApplyRelationship(ctx, change.relationship(), field, entry);
    case v1::ConsentChange::kMinorStatus:
      entry->set_old_value(OnOff(ctx.record->minor()));
      ctx.record->set_minor(change.minor_status().minor());
      entry->set_new_value(OnOff(ctx.record->minor()));
      return absl::OkStatus();
    case v1::ConsentChange::kGuardianConsent:
      if (ctx.request.requester() != v1::REQUESTER_GUARDIAN &&
          ctx.request.requester() != v1::REQUESTER_PRIVACY_DESK) {
        return absl::PermissionDeniedError(absl::StrCat(
            field,
            ".guardian_consent: only a guardian or the privacy desk may "
            "change guardian consent; the requester is ",
            v1::Requester_Name(ctx.request.requester())));
      }
      entry->set_old_value(OnOff(ctx.record->guardian_consent()));
      ctx.record->set_guardian_consent(change.guardian_consent().granted());
      entry->set_new_value(OnOff(ctx.record->guardian_consent()));
      return absl::OkStatus();
    case v1::ConsentChange::CHANGE_NOT_SET:
      break;
  }
  return Invalid(field, "has no change");
}

// A person or their representative, never the system itself.
absl::Status ValidateRequester(v1::Requester requester) {
  if (requester == v1::REQUESTER_UNSPECIFIED ||
      requester == v1::REQUESTER_SYSTEM || !v1::Requester_IsValid(requester)) {
    return Invalid("requester",
                   absl::StrCat("must be REQUESTER_USER, REQUESTER_GUARDIAN or "
                                "REQUESTER_PRIVACY_DESK, not ",
                                requester));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateSetConsent(const v1::SetConsentRequest& request,
                                const ConsentPolicy& policy) {
  PORTRAIT_RETURN_IF_ERROR(ValidateId(request.user_id(), "user_id"));
  PORTRAIT_RETURN_IF_ERROR(ValidateId(request.caller_id(), "caller_id"));
  PORTRAIT_RETURN_IF_ERROR(
      ValidateId(request.request_id(), "request_id", kMaxRequestIdBytes));
  PORTRAIT_RETURN_IF_ERROR(ValidateRequester(request.requester()));
  if (request.policy_version() < 1 ||
      request.policy_version() > policy.version()) {
    return Invalid(
        "policy_version",
        absl::StrCat("is ", request.policy_version(),
                     "; must be 1 to the current version ", policy.version()));
  }
  if (request.changes().empty() ||
      request.changes_size() > kMaxConsentChanges) {
    return Invalid("changes", absl::StrCat("has ", request.changes_size(),
                                           " entries; 1 to ",
                                           kMaxConsentChanges, " are allowed"));
  }
  for (int i = 0; i < request.changes_size(); ++i) {
    PORTRAIT_RETURN_IF_ERROR(
        ValidateChange(request.changes(i), absl::StrCat("changes[", i, "]")));
  }
  return absl::OkStatus();
}

absl::Status ValidateDeleteRecord(const v1::DeleteRecordRequest& request) {
  PORTRAIT_RETURN_IF_ERROR(ValidateId(request.user_id(), "user_id"));
  if (request.signal() == v1::SIGNAL_UNSPECIFIED ||
      !v1::Signal_IsValid(request.signal())) {
    return Invalid("signal", absl::StrCat("is ", request.signal(),
                                          "; must be a known signal"));
  }
  PORTRAIT_RETURN_IF_ERROR(
      ValidateId(request.event_id(), "event_id", kMaxEventIdBytes));
  PORTRAIT_RETURN_IF_ERROR(ValidateId(request.caller_id(), "caller_id"));
  return ValidateRequester(request.requester());
}

absl::Status ValidateDeleteUser(const v1::DeleteUserRequest& request) {
  PORTRAIT_RETURN_IF_ERROR(ValidateId(request.user_id(), "user_id"));
  PORTRAIT_RETURN_IF_ERROR(ValidateId(request.caller_id(), "caller_id"));
  return ValidateRequester(request.requester());
}

absl::StatusOr<AppliedChanges> DeleteAccount(
    const ConsentPolicy& policy, const v1::DeleteUserRequest& request,
    int64_t now_ms, storage::ConsentRecord* record) {
  // A STRIP of every signal, as SetConsent would apply it.
  v1::SetConsentRequest strip_all;
  strip_all.set_user_id(request.user_id());
  strip_all.set_requester(request.requester());
  strip_all.set_caller_id(request.caller_id());
  strip_all.set_policy_version(policy.version());
  for (int s = v1::Signal_MIN + 1; s <= v1::Signal_MAX; ++s) {
    if (!v1::Signal_IsValid(s)) continue;
    v1::SignalChange* change = strip_all.add_changes()->mutable_signal();
    change->set_signal(static_cast<v1::Signal>(s));
    change->set_action(v1::STRIP);
  }
  PORTRAIT_ASSIGN_OR_RETURN(
      AppliedChanges applied,
      ApplyChanges(policy, strip_all, now_ms, /*minor_by_stated_age=*/false,
                   record));
  // Signals that held nothing (DENIED, STRIPPED) changed nothing: no entry.
  auto& entries = applied.entries;
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [](const v1::LedgerEntry& e) {
                                 return e.old_value() == e.new_value();
                               }),
                entries.end());
  record->clear_relationships();
  record->set_account_deleted(true);
  v1::LedgerEntry account;
  account.set_at_ms(now_ms);
  account.set_caller_id(request.caller_id());
  account.set_requester(request.requester());
  account.set_policy_version(policy.version());
  account.set_account_deletion(true);
  account.set_old_value("active");
  account.set_new_value("deleted");
  account.set_action(v1::STRIP);
  entries.push_back(std::move(account));
  return applied;
}

v1::LedgerEntry RecordDeletionEntry(const v1::DeleteRecordRequest& request,
                                    int64_t occurred_at_ms, int64_t now_ms,
                                    int32_t policy_version) {
  v1::LedgerEntry entry;
  entry.set_at_ms(now_ms);
  entry.set_caller_id(request.caller_id());
  entry.set_requester(request.requester());
  entry.set_policy_version(policy_version);
  v1::RecordDeletion* deletion = entry.mutable_record_deletion();
  deletion->set_signal(request.signal());
  deletion->set_event_id(request.event_id());
  deletion->set_occurred_at_ms(occurred_at_ms);
  entry.set_old_value("stored");
  entry.set_new_value("deleted");
  entry.set_action(v1::STRIP);
  return entry;
}

absl::StatusOr<AppliedChanges> ApplyChanges(
    const ConsentPolicy& policy, const v1::SetConsentRequest& request,
    int64_t now_ms, bool minor_by_stated_age, ConsentRecord* record) {
  if (record->account_deleted()) {
    return Precondition("user_id",
                        "the account was deleted; its consent can "
                        "no longer change");
  }
  AppliedChanges out;
  Context ctx{policy, request, now_ms, minor_by_stated_age, record, &out};
  for (int i = 0; i < request.changes_size(); ++i) {
    v1::LedgerEntry entry;
    entry.set_at_ms(now_ms);
    entry.set_caller_id(request.caller_id());
    entry.set_requester(request.requester());
    entry.set_request_id(request.request_id());
    entry.set_policy_version(request.policy_version());
    *entry.mutable_change() = request.changes(i);
    PORTRAIT_RETURN_IF_ERROR(ApplyOne(
        ctx, request.changes(i), absl::StrCat("changes[", i, "]"), &entry));
    out.entries.push_back(std::move(entry));
  }
  return out;
}

absl::StatusOr<v1::LedgerEntry> ExpireFrozenSignal(const ConsentPolicy& policy,
                                                   v1::Signal signal,
                                                   int64_t frozen_until_ms,
                                                   int64_t now_ms,
                                                   ConsentRecord* record) {
  auto it = record->mutable_signals()->find(signal);
  if (it == record->mutable_signals()->end() ||
      it->second.state() != v1::FROZEN ||
      it->second.frozen_until_ms() != frozen_until_ms) {
    return absl::FailedPreconditionError(
        "the signal is no longer frozen "
        "with this deadline");
  }
  it->second.set_state(v1::STRIPPED);
  it->second.set_since_ms(now_ms);
  it->second.set_frozen_until_ms(0);
  v1::LedgerEntry entry;
  entry.set_at_ms(now_ms);
  entry.set_caller_id("portrait-retention");
  entry.set_requester(v1::REQUESTER_SYSTEM);
  entry.set_request_id(absl::StrCat("retention-", frozen_until_ms));
  entry.set_policy_version(policy.version());
  entry.mutable_change()->mutable_signal()->set_signal(signal);
  entry.mutable_change()->mutable_signal()->set_action(v1::STRIP);
  entry.set_old_value("FROZEN");
  entry.set_new_value("STRIPPED");
  entry.set_action(v1::STRIP);
  return entry;
}

}  // namespace portrait
