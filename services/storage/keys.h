// Key encodings of the columns that hold per-user data. docs/STORAGE.md is the
// prose version; keep the two in step.
//
// A user id never contains the byte 0x00 (ids are validated to
// [A-Za-z0-9_.:@-]), so "user_id 0x00" is a prefix that no other user's keys
// share: every per-user column keeps one user's keys contiguous, and one
// DeleteRange erases them.
#ifndef PORTRAIT_SERVICES_STORAGE_KEYS_H_
#define PORTRAIT_SERVICES_STORAGE_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace portrait {

// "user_id 0x00": the prefix of all of one user's keys in a per-user column.
std::string UserPrefix(absl::string_view user_id);

// kEvents key: user_id 0x00 | signal (1 byte) | occurred_at_ms (8 bytes,
// big-endian, sign bit flipped so that order is time order) | event_id.
// One user's events of one signal are contiguous and in time order.
std::string EventKey(absl::string_view user_id, uint8_t signal,
                     int64_t occurred_at_ms, absl::string_view event_id);

// The prefix shared by all kEvents keys of one user's one signal.
std::string UserSignalPrefix(absl::string_view user_id, uint8_t signal);

struct EventKeyParts {
  std::string user_id;
  uint8_t signal = 0;
  int64_t occurred_at_ms = 0;
  std::string event_id;
};

// Inverse of EventKey. DATA_LOSS if `key` is not one.
absl::StatusOr<EventKeyParts> ParseEventKey(absl::string_view key);

// kEventIds key: user_id 0x00 | signal (1 byte) | event_id; the value is
// empty while the event is stored, and the deletion's receipt id once
// DeleteRecord erased it (a tombstone that refuses the id again). Idempotency
// is per user and signal: the same event id sent for two users (or two signals)
// names two events. Sharing the events' prefix lets one DeleteRange erase a
// signal's idempotency keys with its events.
std::string EventIdKey(absl::string_view user_id, uint8_t signal,
                       absl::string_view event_id);

// kCatalog key: kind (1 byte, the ItemKind number) | id.
std::string CatalogKey(uint8_t kind, absl::string_view id);

// kPush keys. A pushed item: user_id 0x00 'i' label. A push by time:
// user_id 0x00 't' sent_at (8 bytes, ordered) label.
std::string PushedItemKey(absl::string_view user_id, absl::string_view label);
std::string PushTimeKey(absl::string_view user_id, int64_t sent_at_ms,
                        absl::string_view label);
// The first key of the user's pushes by time sent at `from_ms` or later.
std::string PushTimeBegin(absl::string_view user_id, int64_t from_ms);
// The end (excluded) of the user's pushes by time.
std::string PushTimeEnd(absl::string_view user_id);
// The sent_at of a PushTimeKey of `user_id`.
int64_t PushTimeOf(absl::string_view key, absl::string_view user_id);

// kConsent keys. State: user_id 0x00 's'. Processed request: user_id 0x00
// 'r' request_id. Erasure receipt: user_id 0x00 'e' sequence (8 bytes BE).
std::string ConsentStateKey(absl::string_view user_id);
std::string ConsentRequestKey(absl::string_view user_id,
                              absl::string_view request_id);
std::string ReceiptKey(absl::string_view user_id, int64_t sequence);
// The prefix of all of the user's ReceiptKeys.
std::string ReceiptPrefix(absl::string_view user_id);

// kLedger key: user_id 0x00 sequence (8 bytes BE). Entries in order.
std::string LedgerKey(absl::string_view user_id, int64_t sequence);
// Inverse for the sequence part; DATA_LOSS if `key` is not a ledger key.
absl::StatusOr<int64_t> ParseLedgerSequence(absl::string_view key);

// Receipt ids are "user_id/sequence": '/' never occurs in a user id.
std::string ReceiptId(absl::string_view user_id, int64_t sequence);
// INVALID_ARGUMENT if `receipt_id` is not of that form.
absl::Status ParseReceiptId(absl::string_view receipt_id, std::string* user_id,
                            int64_t* sequence);

// kMeta key of a frozen signal's retention deadline:
// "freeze_expiry/" until_ms (8 bytes BE) user_id 0x00 signal. Scanning up to
// FreezeExpiryEnd(now) finds every frozen signal due for stripping.
std::string FreezeExpiryKey(int64_t until_ms, absl::string_view user_id,
                            uint8_t signal);
std::string FreezeExpiryBegin();
std::string FreezeExpiryEnd(int64_t now_ms);
struct FreezeExpiryParts {
  int64_t until_ms = 0;
  std::string user_id;
  uint8_t signal = 0;
};
absl::StatusOr<FreezeExpiryParts> ParseFreezeExpiryKey(absl::string_view key);

// kMeta key of a receipt waiting for a model version that excludes its
// revocation: "pending_model/" receipt_id.
std::string PendingModelKey(absl::string_view receipt_id);
inline constexpr absl::string_view kPendingModelPrefix = "pending_model/";
std::string PendingPeersKey(absl::string_view receipt_id);
inline constexpr absl::string_view kPendingPeersPrefix = "pending_peers/";

// kMeta key of a receipt's pending on-disk compaction:
// "pending_compaction/" receipt_id.
std::string PendingCompactionKey(absl::string_view receipt_id);
inline constexpr absl::string_view kPendingCompactionPrefix =
    "pending_compaction/";

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_STORAGE_KEYS_H_
