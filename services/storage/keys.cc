#include "services/storage/keys.h"

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

std::string EventIdKey(absl::string_view user_id, absl::string_view event_id) {
  std::string key = UserPrefix(user_id);
  key.append(event_id.data(), event_id.size());
  return key;
}

std::string CatalogKey(uint8_t kind, absl::string_view id) {
  std::string key(1, static_cast<char>(kind));
  key.append(id.data(), id.size());
  return key;
}

}  // namespace portrait
