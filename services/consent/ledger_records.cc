#include "services/consent/ledger_records.h"

namespace portrait {
namespace {

// The two change messages have the same shape; one template copies either
// way.
template <typename To, typename From>
To CopyChange(const From& from) {
  To to;
  if (from.has_signal()) {
    auto* signal = to.mutable_signal();
    signal->set_signal(from.signal().signal());
    signal->set_grant(from.signal().grant());
    signal->set_action(from.signal().action());
  } else if (from.has_purpose()) {
    auto* purpose = to.mutable_purpose();
    purpose->set_purpose(from.purpose().purpose());
    purpose->set_enabled(from.purpose().enabled());
  } else if (from.has_relationship()) {
    auto* relationship = to.mutable_relationship();
    relationship->set_relationship(from.relationship().relationship());
    relationship->set_target_id(from.relationship().target_id());
    relationship->set_add(from.relationship().add());
  } else if (from.has_minor_status()) {
    to.mutable_minor_status()->set_minor(from.minor_status().minor());
  } else if (from.has_guardian_consent()) {
    to.mutable_guardian_consent()->set_granted(
        from.guardian_consent().granted());
  }
  return to;
}

template <typename To, typename From>
To CopyEntry(const From& from) {
  To to;
  to.set_sequence(from.sequence());
  to.set_at_ms(from.at_ms());
  to.set_caller_id(from.caller_id());
  to.set_requester(from.requester());
  to.set_request_id(from.request_id());
  to.set_policy_version(from.policy_version());
  if (from.has_change()) {
    *to.mutable_change() =
        CopyChange<std::decay_t<decltype(to.change())>>(from.change());
  }
  to.set_old_value(from.old_value());
  to.set_new_value(from.new_value());
  to.set_action(from.action());
  to.set_receipt_id(from.receipt_id());
  return to;
}

template <typename To, typename From>
To CopyReceipt(const From& from) {
  To to;
  to.set_receipt_id(from.receipt_id());
  to.set_user_id(from.user_id());
  to.set_created_at_ms(from.created_at_ms());
  for (const auto& c : from.components()) {
    auto* copy = to.add_components();
    copy->set_component(c.component());
    copy->set_signal(c.signal());
    copy->set_action(c.action());
    copy->set_state(c.state());
    copy->set_deadline_ms(c.deadline_ms());
    copy->set_done_at_ms(c.done_at_ms());
  }
  return to;
}

}  // namespace

storage::LedgerRecord ToLedgerRecord(const v1::LedgerEntry& entry) {
  return CopyEntry<storage::LedgerRecord>(entry);
}

v1::LedgerEntry ToLedgerEntry(const storage::LedgerRecord& record) {
  return CopyEntry<v1::LedgerEntry>(record);
}

storage::ReceiptRecord ToReceiptRecord(const v1::ErasureReceipt& receipt) {
  return CopyReceipt<storage::ReceiptRecord>(receipt);
}

v1::ErasureReceipt ToErasureReceipt(const storage::ReceiptRecord& record) {
  return CopyReceipt<v1::ErasureReceipt>(record);
}

}  // namespace portrait
