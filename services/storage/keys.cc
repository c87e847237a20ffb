#include "services/storage/keys.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace portrait {
namespace {

constexpr char kUserTerminator = '\0';
constexpr uint64_t kSignBit = uint64_t{1} << 63;

void AppendOrderedInt64(int64_t value, std::string* out) {
  uint64_t bits = static_cast<uint64_t>(value) ^ kSignBit;
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((bits >> shift) & 0xff));
  }
}

int64_t ReadOrderedInt64(absl::string_view in) {
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) {
    bits = (bits << 8) | static_cast<unsigned char>(in[i]);
  }
  return static_cast<int64_t>(bits ^ kSignBit);
}

}  // namespace

std::string UserPrefix(absl::string_view user_id) {
  std::string key(user_id);
  key.push_back(kUserTerminator);
  return key;
}

std::string UserSignalPrefix(absl::string_view user_id, uint8_t signal) {
  std::string key = UserPrefix(user_id);
  key.push_back(static_cast<char>(signal));
  return key;
}

std::string EventKey(absl::string_view user_id, uint8_t signal,
                     int64_t occurred_at_ms, absl::string_view event_id) {
  std::string key = UserSignalPrefix(user_id, signal);
  AppendOrderedInt64(occurred_at_ms, &key);
  key.append(event_id.data(), event_id.size());
  return key;
}

absl::StatusOr<EventKeyParts> ParseEventKey(absl::string_view key) {
  size_t end_of_user = key.find(kUserTerminator);
  // user, terminator, signal byte, 8 time bytes, at least one id byte.
  if (end_of_user == absl::string_view::npos || end_of_user == 0 ||
      key.size() < end_of_user + 1 + 1 + 8 + 1) {
    return absl::DataLossError(
        absl::StrCat("malformed event key of ", key.size(), " bytes"));
  }
  EventKeyParts parts;
  parts.user_id = std::string(key.substr(0, end_of_user));
  parts.signal = static_cast<uint8_t>(key[end_of_user + 1]);
  parts.occurred_at_ms = ReadOrderedInt64(key.substr(end_of_user + 2, 8));
  parts.event_id = std::string(key.substr(end_of_user + 10));
  return parts;
}

std::string EventIdKey(absl::string_view user_id, uint8_t signal,
                       absl::string_view event_id) {
  std::string key = UserSignalPrefix(user_id, signal);
  key.append(event_id.data(), event_id.size());
  return key;
}

std::string CatalogKey(uint8_t kind, absl::string_view id) {
  std::string key(1, static_cast<char>(kind));
  key.append(id.data(), id.size());
  return key;
}

std::string ConsentStateKey(absl::string_view user_id) {
  return UserPrefix(user_id) + "s";
}

std::string ConsentRequestKey(absl::string_view user_id,
                              absl::string_view request_id) {
  return absl::StrCat(UserPrefix(user_id), "r", request_id);
}

std::string PushedItemKey(absl::string_view user_id, absl::string_view label) {
  return absl::StrCat(UserPrefix(user_id), "i", label);
}

std::string PushTimeKey(absl::string_view user_id, int64_t sent_at_ms,
                        absl::string_view label) {
  std::string key = PushTimeBegin(user_id, sent_at_ms);
  key.append(label.data(), label.size());
  return key;
}

std::string PushTimeBegin(absl::string_view user_id, int64_t from_ms) {
  std::string key = UserPrefix(user_id) + "t";
  AppendOrderedInt64(from_ms, &key);
  return key;
}

std::string PushTimeEnd(absl::string_view user_id) {
  return UserPrefix(user_id) + static_cast<char>('t' + 1);
}

int64_t PushTimeOf(absl::string_view key, absl::string_view user_id) {
  return ReadOrderedInt64(key.substr(user_id.size() + 2, 8));
}

std::string ReceiptPrefix(absl::string_view user_id) {
  return UserPrefix(user_id) + "e";
}

std::string ReceiptKey(absl::string_view user_id, int64_t sequence) {
  std::string key = ReceiptPrefix(user_id);
  AppendOrderedInt64(sequence, &key);
  return key;
}

std::string LedgerKey(absl::string_view user_id, int64_t sequence) {
  std::string key = UserPrefix(user_id);
  AppendOrderedInt64(sequence, &key);
  return key;
}

absl::StatusOr<int64_t> ParseLedgerSequence(absl::string_view key) {
  size_t end_of_user = key.find(kUserTerminator);
  if (end_of_user == absl::string_view::npos ||
      key.size() != end_of_user + 1 + 8) {
    return absl::DataLossError(
        absl::StrCat("malformed ledger key of ", key.size(), " bytes"));
  }
  return ReadOrderedInt64(key.substr(end_of_user + 1));
}

std::string ReceiptId(absl::string_view user_id, int64_t sequence) {
  return absl::StrCat(user_id, "/", sequence);
}

absl::Status ParseReceiptId(absl::string_view receipt_id, std::string* user_id,
                            int64_t* sequence) {
  // Only the spelling ReceiptId writes: digits without a leading zero, so
  // that one receipt has one id (SimpleAtoi alone also takes "+7", " 7"
  // and "007").
  const size_t slash = receipt_id.rfind('/');
  const absl::string_view digits = slash == absl::string_view::npos
                                       ? absl::string_view()
                                       : receipt_id.substr(slash + 1);
  const bool canonical = !digits.empty() && digits[0] != '0' &&
                         std::all_of(digits.begin(), digits.end(), [](char c) {
                           return c >= '0' && c <= '9';
                         });
  if (slash == absl::string_view::npos || slash == 0 || !canonical ||
      !absl::SimpleAtoi(digits, sequence) || *sequence < 1) {
    return absl::InvalidArgumentError(
        "receipt_id: must be a receipt id returned by SetConsent "
        "(user_id/sequence)");
  }
  *user_id = std::string(receipt_id.substr(0, slash));
  return absl::OkStatus();
}

namespace {
constexpr absl::string_view kFreezeExpiryPrefix = "freeze_expiry/";
}  // namespace

std::string FreezeExpiryBegin() { return std::string(kFreezeExpiryPrefix); }

std::string FreezeExpiryEnd(int64_t now_ms) {
  std::string key(kFreezeExpiryPrefix);
  AppendOrderedInt64(now_ms + 1, &key);
  return key;
}

std::string FreezeExpiryKey(int64_t until_ms, absl::string_view user_id,
                            uint8_t signal) {
  std::string key(kFreezeExpiryPrefix);
  AppendOrderedInt64(until_ms, &key);
  key.append(user_id.data(), user_id.size());
  key.push_back(kUserTerminator);
  key.push_back(static_cast<char>(signal));
  return key;
}

absl::StatusOr<FreezeExpiryParts> ParseFreezeExpiryKey(absl::string_view key) {
  const size_t head = kFreezeExpiryPrefix.size() + 8;
  if (!absl::StartsWith(key, kFreezeExpiryPrefix) || key.size() < head + 3 ||
      key[key.size() - 2] != kUserTerminator) {
    return absl::DataLossError(
        absl::StrCat("malformed freeze expiry key of ", key.size(), " bytes"));
  }
  FreezeExpiryParts parts;
  parts.until_ms = ReadOrderedInt64(key.substr(kFreezeExpiryPrefix.size(), 8));
  parts.user_id = std::string(key.substr(head, key.size() - 2 - head));
  parts.signal = static_cast<uint8_t>(key.back());
  return parts;
}

std::string PendingModelKey(absl::string_view receipt_id) {
  return absl::StrCat(kPendingModelPrefix, receipt_id);
}

std::string PendingPeersKey(absl::string_view receipt_id) {
  return absl::StrCat(kPendingPeersPrefix, receipt_id);
}

std::string PendingCompactionKey(absl::string_view receipt_id) {
  return absl::StrCat(kPendingCompactionPrefix, receipt_id);
}

}  // namespace portrait
