#include "services/ingest/validation.h"

#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "services/ingest/contacts.h"

namespace portrait {
namespace {

using v1::Event;

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::Status ValidateText(absl::string_view text, absl::string_view field,
                          int max_bytes, bool required) {
  if (required && text.empty()) return Invalid(field, "is required");
  if (text.size() > static_cast<size_t>(max_bytes)) {
    return Invalid(field, absl::StrCat("is ", text.size(),
                                       " bytes; the limit is ", max_bytes));
  }
  return absl::OkStatus();
}

absl::Status ValidateTextList(
    const google::protobuf::RepeatedPtrField<std::string>& list,
    absl::string_view field) {
  if (list.size() > kMaxListEntries) {
    return Invalid(field,
                   absl::StrCat("has ", list.size(), " entries; the limit is ",
                                kMaxListEntries));
  }
  for (int i = 0; i < list.size(); ++i) {
    PORTRAIT_RETURN_IF_ERROR(ValidateText(
        list[i], absl::StrCat(field, "[", i, "]"), kMaxShortTextBytes, true));
  }
  return absl::OkStatus();
}

absl::Status ValidateTime(int64_t ms, absl::string_view field, int64_t now_ms) {
  if (ms <= 0) return Invalid(field, "is required and must be > 0");
  if (ms > now_ms + kMaxFutureSkewMs) {
    return Invalid(field, absl::StrCat("is ", ms - now_ms,
                                       " ms in the future; the limit is ",
                                       kMaxFutureSkewMs, " ms"));
  }
  return absl::OkStatus();
}

absl::Status ValidateItemRef(const v1::ItemRef& ref, absl::string_view field) {
  if (ref.kind() == v1::ITEM_KIND_UNSPECIFIED ||
      !v1::ItemKind_IsValid(ref.kind())) {
    return Invalid(absl::StrCat(field, ".kind"),
                   absl::StrCat("must be ITEM_POST, ITEM_BRAND or ITEM_USER, "
                                "not ",
                                static_cast<int>(ref.kind())));
  }
  return ValidateId(ref.id(), absl::StrCat(field, ".id"));
}

// The plain contacts of a ContactsPayload or Person (`parent` names it); the
// hashes are the server's to set.
absl::Status ValidateContactList(
    const google::protobuf::RepeatedPtrField<std::string>& contacts,
    const google::protobuf::RepeatedPtrField<std::string>& hashes,
    absl::string_view parent, int min_entries, int max_entries) {
  const std::string field = absl::StrCat(parent, ".contacts");
  if (!hashes.empty()) {
    return Invalid(absl::StrCat(parent, ".contact_hashes"),
                   "is set by the server; send the plain values in contacts, "
                   "which it hashes with its key");
  }
  if (contacts.size() < min_entries || contacts.size() > max_entries) {
    return Invalid(
        field, absl::StrCat("has ", contacts.size(), " entries; ", min_entries,
                            " to ", max_entries, " are allowed"));
  }
  for (int i = 0; i < contacts.size(); ++i) {
    if (!ParseContact(contacts[i]).has_value()) {
      // Never the value: it is personal data and errors get logged.
      return Invalid(
          absl::StrCat(field, "[", i, "]"),
          absl::StrCat("(", contacts[i].size(),
                       " bytes) is neither a phone number nor an e-mail "
                       "address of at most ",
                       kMaxContactBytes, " bytes (docs/CONTACTS.md)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateProfile(const v1::ProfileAttributesPayload& p,
                             absl::string_view field, int64_t now_ms) {
  const std::pair<const std::string*, const char*> fields[] = {
      {&p.gender(), "gender"},
      {&p.age_band(), "age_band"},
      {&p.city(), "city"},
      {&p.occupation(), "occupation"}};
  for (const auto& [value, name] : fields) {
    PORTRAIT_RETURN_IF_ERROR(ValidateText(
        *value, absl::StrCat(field, ".", name), kMaxShortTextBytes, false));
  }
  int current_year = static_cast<int>(1970 + now_ms / 31'556'952'000);
  if (p.birth_year() != 0 &&
      (p.birth_year() < 1900 || p.birth_year() > current_year)) {
    return Invalid(absl::StrCat(field, ".birth_year"),
                   absl::StrCat("is ", p.birth_year(),
                                "; must be 0 or 1900 to ", current_year));
  }
  return ValidateTextList(p.hobbies(), absl::StrCat(field, ".hobbies"));
}

absl::Status ValidatePayload(const Event& e, absl::string_view field,
                             int64_t now_ms) {
  switch (e.payload_case()) {
    case Event::kSearch:
      return ValidateText(e.search().query(),
                          absl::StrCat(field, ".search.query"), kMaxQueryBytes,
                          true);
    case Event::kBrowse:
      if (e.browse().dwell_ms() < 0 || e.browse().dwell_ms() > kMaxDwellMs) {
        return Invalid(absl::StrCat(field, ".browse.dwell_ms"),
                       absl::StrCat("is ", e.browse().dwell_ms(),
                                    "; must be 0 to ", kMaxDwellMs));
      }
      return absl::OkStatus();
    case Event::kLocation:
      return ValidateLocation(e.location(), absl::StrCat(field, ".location"));
    case Event::kContacts:
      return ValidateContactList(
          e.contacts().contacts(), e.contacts().contact_hashes(),
          absl::StrCat(field, ".contacts"), 1, kMaxContacts);
    case Event::kProfileAttributes:
      return ValidateProfile(e.profile_attributes(),
                             absl::StrCat(field, ".profile_attributes"),
                             now_ms);
    case Event::kComment:
      return ValidateText(e.comment().text(),
                          absl::StrCat(field, ".comment.text"),
                          kMaxCommentBytes, false);
    case Event::kPushFeedback:
      if (const v1::PushReaction reaction = e.push_feedback().reaction();
          reaction != v1::PUSH_OPENED && reaction != v1::PUSH_DISMISSED) {
        return Invalid(absl::StrCat(field, ".push_feedback.reaction"),
                       absl::StrCat("is ", reaction,
                                    "; must be PUSH_OPENED or PUSH_DISMISSED"));
      }
      return absl::OkStatus();
    case Event::PAYLOAD_NOT_SET:
      return absl::OkStatus();
  }
  return Invalid(field, "has an unknown payload");
}

absl::Status ValidateEvent(const Event& e, absl::string_view field,
                           int64_t now_ms) {
  PORTRAIT_RETURN_IF_ERROR(ValidateId(
      e.event_id(), absl::StrCat(field, ".event_id"), kMaxEventIdBytes));
  PORTRAIT_RETURN_IF_ERROR(
      ValidateId(e.user_id(), absl::StrCat(field, ".user_id")));
  if (e.signal() == v1::SIGNAL_UNSPECIFIED || !v1::Signal_IsValid(e.signal())) {
    return Invalid(absl::StrCat(field, ".signal"),
                   absl::StrCat("must be a known signal, not ",
                                static_cast<int>(e.signal())));
  }
  if (e.has_target()) {
    PORTRAIT_RETURN_IF_ERROR(
        ValidateItemRef(e.target(), absl::StrCat(field, ".target")));
  }
  PORTRAIT_RETURN_IF_ERROR(ValidateTime(
      e.occurred_at_ms(), absl::StrCat(field, ".occurred_at_ms"), now_ms));
  if (!std::isfinite(e.weight()) || e.weight() < 0 || e.weight() > kMaxWeight) {
    return Invalid(
        absl::StrCat(field, ".weight"),
        absl::StrCat("must be 0 (default) or in (0, ", kMaxWeight, "]"));
  }
  return ValidatePayload(e, field, now_ms);
}

absl::Status ValidateCount(int count, int limit, absl::string_view field) {
  if (count == 0) return Invalid(field, "is empty; send 1 or more");
  if (count > limit) {
    return Invalid(
        field, absl::StrCat("has ", count, " entries; the limit is ", limit));
  }
  return absl::OkStatus();
}

absl::Status ValidatePost(const v1::Post& post, absl::string_view field,
                          int64_t now_ms) {
  PORTRAIT_RETURN_IF_ERROR(
      ValidateId(post.post_id(), absl::StrCat(field, ".post_id")));
  if (!post.author_id().empty()) {
    PORTRAIT_RETURN_IF_ERROR(
        ValidateId(post.author_id(), absl::StrCat(field, ".author_id")));
  }
  if (!post.brand_id().empty()) {
    PORTRAIT_RETURN_IF_ERROR(
        ValidateId(post.brand_id(), absl::StrCat(field, ".brand_id")));
  }
  PORTRAIT_RETURN_IF_ERROR(
      ValidateTextList(post.tags(), absl::StrCat(field, ".tags")));
  PORTRAIT_RETURN_IF_ERROR(ValidateTime(
      post.created_at_ms(), absl::StrCat(field, ".created_at_ms"), now_ms));
  if (post.has_location()) {
    return ValidateLocation(post.location(), absl::StrCat(field, ".location"));
  }
  return absl::OkStatus();
}

absl::Status ValidateItem(const v1::Item& item, absl::string_view field,
                          int64_t now_ms) {
  switch (item.kind_case()) {
    case v1::Item::kPost:
      return ValidatePost(item.post(), absl::StrCat(field, ".post"), now_ms);
    case v1::Item::kBrand:
      PORTRAIT_RETURN_IF_ERROR(ValidateId(
          item.brand().brand_id(), absl::StrCat(field, ".brand.brand_id")));
      PORTRAIT_RETURN_IF_ERROR(ValidateText(item.brand().name(),
                                            absl::StrCat(field, ".brand.name"),
                                            kMaxNameBytes, false));
      PORTRAIT_RETURN_IF_ERROR(ValidateTextList(
          item.brand().categories(), absl::StrCat(field, ".brand.categories")));
      if (!item.brand().has_location()) {
        if (item.brand().check_in_radius_m() != 0) {
          return Invalid(absl::StrCat(field, ".brand.check_in_radius_m"),
                         "is set without a location");
        }
        return absl::OkStatus();
      }
      if (item.brand().check_in_radius_m() < 1 ||
          item.brand().check_in_radius_m() > kMaxCheckInRadiusM) {
        return Invalid(absl::StrCat(field, ".brand.check_in_radius_m"),
                       absl::StrCat("is ", item.brand().check_in_radius_m(),
                                    "; must be 1 to ", kMaxCheckInRadiusM,
                                    " with a location"));
      }
      return ValidateLocation(item.brand().location(),
                              absl::StrCat(field, ".brand.location"));
    case v1::Item::kPerson:
      PORTRAIT_RETURN_IF_ERROR(ValidateId(
          item.person().user_id(), absl::StrCat(field, ".person.user_id")));
      PORTRAIT_RETURN_IF_ERROR(ValidateContactList(
          item.person().contacts(), item.person().contact_hashes(),
          absl::StrCat(field, ".person"), 0, kMaxPersonContacts));
      if (const std::string& zone = item.person().time_zone(); !zone.empty()) {
        absl::TimeZone loaded;
        if (zone.size() > kMaxTimeZoneBytes ||
            !absl::LoadTimeZone(zone, &loaded)) {
          return Invalid(
              absl::StrCat(field, ".person.time_zone"),
              absl::StrCat("must be an IANA time zone the server knows "
                           "(\"Asia/Shanghai\"), at most ",
                           kMaxTimeZoneBytes, " bytes"));
        }
      }
      return ValidateText(item.person().display_name(),
                          absl::StrCat(field, ".person.display_name"),
                          kMaxNameBytes, false);
    case v1::Item::KIND_NOT_SET:
      break;
  }
  return Invalid(field, "must set one of post, brand, person");
}

// Which target kinds a signal takes; empty = none.
std::vector<v1::ItemKind> TargetKinds(v1::Signal signal) {
  switch (signal) {
    case v1::FOLLOW:
    case v1::BLOCK:
      return {v1::ITEM_USER, v1::ITEM_BRAND};
    case v1::FRIEND:
      return {v1::ITEM_USER};
    case v1::LIKE:
    case v1::FAVORITE:
    case v1::RECOMMEND:
    case v1::BROWSE:
      return {v1::ITEM_POST, v1::ITEM_BRAND};
    case v1::COMMENT:
    case v1::POST:
      return {v1::ITEM_POST};
    case v1::PUSH_FEEDBACK:
      return {v1::ITEM_POST, v1::ITEM_BRAND, v1::ITEM_USER};
    default:
      return {};
  }
}

// The payload a signal takes, and whether it is required.
struct PayloadRule {
  Event::PayloadCase payload;
  bool required;
};

PayloadRule PayloadFor(v1::Signal signal) {
  switch (signal) {
    case v1::SEARCH:
      return {Event::kSearch, true};
    case v1::LOCATION:
      return {Event::kLocation, true};
    case v1::CONTACTS:
      return {Event::kContacts, true};
    case v1::PROFILE_ATTRIBUTES:
      return {Event::kProfileAttributes, true};
    case v1::BROWSE:
      return {Event::kBrowse, false};
    case v1::COMMENT:
      return {Event::kComment, false};
    case v1::PUSH_FEEDBACK:
      return {Event::kPushFeedback, true};
    default:
      return {Event::PAYLOAD_NOT_SET, false};
  }
}

std::optional<Rejection> CheckTarget(const Event& e) {
  std::vector<v1::ItemKind> kinds = TargetKinds(e.signal());
  const std::string& signal = v1::Signal_Name(e.signal());
  if (kinds.empty()) {
    if (!e.has_target()) return std::nullopt;
    return Rejection{v1::WRONG_TARGET,
                     absl::StrCat("target: ", signal, " takes no target")};
  }
  if (!e.has_target()) {
    return Rejection{v1::WRONG_TARGET,
                     absl::StrCat("target: ", signal, " requires a target")};
  }
  for (v1::ItemKind kind : kinds) {
    if (kind == e.target().kind()) return std::nullopt;
  }
  return Rejection{v1::WRONG_TARGET,
                   absl::StrCat("target.kind: ", signal, " cannot target ",
                                v1::ItemKind_Name(e.target().kind()))};
}

}  // namespace

absl::Status ValidateLocation(const v1::LocationPayload& location,
                              absl::string_view field) {
  if (!(location.latitude() >= -90 && location.latitude() <= 90)) {
    return Invalid(absl::StrCat(field, ".latitude"), "must be in [-90, 90]");
  }
  if (!(location.longitude() >= -180 && location.longitude() <= 180)) {
    return Invalid(absl::StrCat(field, ".longitude"), "must be in [-180, 180]");
  }
  return absl::OkStatus();
}

absl::Status ValidateEvents(
    const google::protobuf::RepeatedPtrField<Event>& events, int64_t now_ms,
    absl::string_view field) {
  PORTRAIT_RETURN_IF_ERROR(
      ValidateCount(events.size(), kMaxEventsPerRequest, field));
  for (int i = 0; i < events.size(); ++i) {
    PORTRAIT_RETURN_IF_ERROR(
        ValidateEvent(events[i], absl::StrCat(field, "[", i, "]"), now_ms));
  }
  return absl::OkStatus();
}

absl::Status ValidateItems(
    const google::protobuf::RepeatedPtrField<v1::Item>& items, int64_t now_ms) {
  PORTRAIT_RETURN_IF_ERROR(
      ValidateCount(items.size(), kMaxItemsPerRequest, "items"));
  for (int i = 0; i < items.size(); ++i) {
    PORTRAIT_RETURN_IF_ERROR(
        ValidateItem(items[i], absl::StrCat("items[", i, "]"), now_ms));
  }
  return absl::OkStatus();
}

absl::Status ValidateItemRefs(
    const google::protobuf::RepeatedPtrField<v1::ItemRef>& refs) {
  PORTRAIT_RETURN_IF_ERROR(
      ValidateCount(refs.size(), kMaxItemsPerRequest, "items"));
  for (int i = 0; i < refs.size(); ++i) {
    PORTRAIT_RETURN_IF_ERROR(
        ValidateItemRef(refs[i], absl::StrCat("items[", i, "]")));
  }
  return absl::OkStatus();
}

std::optional<Rejection> CheckEventShape(const Event& e) {
  if (std::optional<Rejection> r = CheckTarget(e)) return r;
  PayloadRule rule = PayloadFor(e.signal());
  const std::string& signal = v1::Signal_Name(e.signal());
  if (e.payload_case() != Event::PAYLOAD_NOT_SET &&
      e.payload_case() != rule.payload) {
    return Rejection{
        v1::WRONG_PAYLOAD,
        absl::StrCat("payload: ", signal, " does not take this payload")};
  }
  if (rule.required && e.payload_case() == Event::PAYLOAD_NOT_SET) {
    return Rejection{v1::WRONG_PAYLOAD,
                     absl::StrCat("payload: ", signal, " requires a payload")};
  }
  if (e.has_target() && e.target().kind() == v1::ITEM_USER &&
      e.target().id() == e.user_id()) {
    return Rejection{v1::SELF_TARGET, absl::StrCat("target.id: a user cannot ",
                                                   signal, " themselves")};
  }
  return std::nullopt;
}

}  // namespace portrait
