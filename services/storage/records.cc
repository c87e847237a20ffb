#include "services/storage/records.h"

#include <type_traits>

namespace portrait {
namespace {

// Each record has the shape of its message (same field names, numbers and
// types), so one template per pair copies either way.

template <typename T>
using Decayed = std::decay_t<T>;

template <typename To, typename From>
void CopyLocation(const From& from, To* to) {
  to->set_latitude(from.latitude());
  to->set_longitude(from.longitude());
}

template <typename To, typename From>
To CopyEvent(const From& from) {
  To to;
  to.set_event_id(from.event_id());
  to.set_user_id(from.user_id());
  to.set_signal(from.signal());
  if (from.has_target()) {
    to.mutable_target()->set_kind(from.target().kind());
    to.mutable_target()->set_id(from.target().id());
  }
  to.set_occurred_at_ms(from.occurred_at_ms());
  to.set_weight(from.weight());
  if (from.has_search()) {
    to.mutable_search()->set_query(from.search().query());
  } else if (from.has_browse()) {
    to.mutable_browse()->set_dwell_ms(from.browse().dwell_ms());
  } else if (from.has_location()) {
    CopyLocation(from.location(), to.mutable_location());
  } else if (from.has_contacts()) {
    *to.mutable_contacts()->mutable_contact_hashes() =
        from.contacts().contact_hashes();
  } else if (from.has_profile_attributes()) {
    const auto& in = from.profile_attributes();
    auto* out = to.mutable_profile_attributes();
    out->set_gender(in.gender());
    out->set_age_band(in.age_band());
    out->set_birth_year(in.birth_year());
    out->set_city(in.city());
    out->set_occupation(in.occupation());
    *out->mutable_hobbies() = in.hobbies();
  } else if (from.has_comment()) {
    to.mutable_comment()->set_text(from.comment().text());
  } else if (from.has_push_feedback()) {
    to.mutable_push_feedback()->set_reaction(from.push_feedback().reaction());
  }
  return to;
}

template <typename To, typename From>
To CopyItem(const From& from) {
  To to;
  if (from.has_post()) {
    const auto& in = from.post();
    auto* out = to.mutable_post();
    out->set_post_id(in.post_id());
    out->set_author_id(in.author_id());
    out->set_brand_id(in.brand_id());
    *out->mutable_tags() = in.tags();
    out->set_created_at_ms(in.created_at_ms());
    if (in.has_location()) CopyLocation(in.location(), out->mutable_location());
  } else if (from.has_brand()) {
    const auto& in = from.brand();
    auto* out = to.mutable_brand();
    out->set_brand_id(in.brand_id());
    out->set_name(in.name());
    *out->mutable_categories() = in.categories();
    if (in.has_location()) CopyLocation(in.location(), out->mutable_location());
    out->set_check_in_radius_m(in.check_in_radius_m());
  } else if (from.has_person()) {
    const auto& in = from.person();
    auto* out = to.mutable_person();
    out->set_user_id(in.user_id());
    out->set_display_name(in.display_name());
    out->set_minor(in.minor());
    *out->mutable_contact_hashes() = in.contact_hashes();
    out->set_time_zone(in.time_zone());
  }
  return to;
}

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
        CopyChange<Decayed<decltype(to.change())>>(from.change());
  }
  to.set_old_value(from.old_value());
  to.set_new_value(from.new_value());
  to.set_action(from.action());
  to.set_receipt_id(from.receipt_id());
  to.set_account_deletion(from.account_deletion());
  to.set_authenticated_caller(from.authenticated_caller());
  if (from.has_events_expired()) {
    *to.mutable_events_expired() = from.events_expired();
  }
  if (from.has_record_deletion()) {
    *to.mutable_record_deletion() = from.record_deletion();
  }
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
    copy->set_event_id(c.event_id());
    copy->set_before_ms(c.before_ms());
  }
  return to;
}

}  // namespace

storage::EventRecord ToRecord(const v1::Event& event) {
  return CopyEvent<storage::EventRecord>(event);
}

v1::Event FromRecord(const storage::EventRecord& record) {
  return CopyEvent<v1::Event>(record);
}

storage::ItemRecord ToRecord(const v1::Item& item) {
  return CopyItem<storage::ItemRecord>(item);
}

v1::Item FromRecord(const storage::ItemRecord& record) {
  return CopyItem<v1::Item>(record);
}

storage::LedgerRecord ToRecord(const v1::LedgerEntry& entry) {
  return CopyEntry<storage::LedgerRecord>(entry);
}

v1::LedgerEntry FromRecord(const storage::LedgerRecord& record) {
  return CopyEntry<v1::LedgerEntry>(record);
}

storage::ReceiptRecord ToRecord(const v1::ErasureReceipt& receipt) {
  return CopyReceipt<storage::ReceiptRecord>(receipt);
}

v1::ErasureReceipt FromRecord(const storage::ReceiptRecord& record) {
  return CopyReceipt<v1::ErasureReceipt>(record);
}

}  // namespace portrait
