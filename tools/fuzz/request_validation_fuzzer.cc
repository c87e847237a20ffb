// Fuzzes request validation: arbitrary bytes as a RecordEventsRequest, an
// UpsertItemsRequest, a DeleteRecordRequest or a DeleteUserRequest, and as
// one address-book entry. Beyond not crashing,
// it checks two promises: an entry the parser accepts always hashes, to a
// canonical form of a known kind; and a batch validation accepts holds only
// contacts the parser accepts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "portrait/v1/ingest.pb.h"
#include "services/consent/consent_changes.h"
#include "services/ingest/contacts.h"
#include "services/ingest/validation.h"

namespace {

constexpr int64_t kNowMs = 1'790'000'000'000;

const portrait::ContactHasher& Hasher() {
  static const portrait::ContactHasher* const hasher =
      new portrait::ContactHasher(*portrait::ContactHasher::Create(
          "fuzzing contact key, thirty-two bytes or more", "86"));
  return *hasher;
}

void CheckContact(const std::string& raw) {
  const std::optional<portrait::ParsedContact> parsed =
      portrait::ParseContact(raw);
  if (!parsed.has_value()) return;
  const std::string canonical = Hasher().Canonical(*parsed);
  if (!absl::StartsWith(canonical, "tel:+") &&
      !absl::StartsWith(canonical, "mailto:")) {
    std::abort();
  }
  if (!Hasher().Hash(raw, "f").ok()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  CheckContact(bytes);

  portrait::v1::RecordEventsRequest events;
  if (events.ParseFromString(bytes) &&
      portrait::ValidateEvents(events.events(), kNowMs).ok()) {
    for (const portrait::v1::Event& event : events.events()) {
      portrait::CheckEventShape(event);
      for (const std::string& contact : event.contacts().contacts()) {
        if (!portrait::ParseContact(contact).has_value()) std::abort();
        CheckContact(contact);
      }
    }
  }
  portrait::v1::UpsertItemsRequest items;
  if (items.ParseFromString(bytes)) {
    portrait::ValidateItems(items.items(), kNowMs).IgnoreError();
  }
  portrait::v1::DeleteRecordRequest deletion;
  if (deletion.ParseFromString(bytes) &&
      portrait::ValidateDeleteRecord(deletion).ok() &&
      (deletion.signal() == portrait::v1::SIGNAL_UNSPECIFIED ||
       deletion.event_id().empty())) {
    std::abort();  // Accepted what the contract says is required.
  }
  portrait::v1::DeleteUserRequest account;
  if (account.ParseFromString(bytes) &&
      portrait::ValidateDeleteUser(account).ok() &&
      (account.requester() == portrait::v1::REQUESTER_SYSTEM ||
       account.caller_id().empty())) {
    std::abort();
  }
  return 0;
}
