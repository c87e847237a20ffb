// Fuzzes the decoding of what Portrait reads back from disk: arbitrary bytes
// as each stored record type, and as an event key. A record that parses
// must survive the trip to its RPC message and back unchanged (unknown
// fields aside), and a key that parses must encode back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "portrait/storage/records.pb.h"
#include "services/storage/keys.h"
#include "services/storage/records.h"

namespace {

template <typename Record>
void RoundTrip(const std::string& bytes) {
  Record record;
  if (!record.ParseFromString(bytes)) return;
  record.DiscardUnknownFields();
  const std::string before = record.SerializeAsString();
  const std::string after =
      portrait::ToRecord(portrait::FromRecord(record)).SerializeAsString();
  if (before != after) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  RoundTrip<portrait::storage::EventRecord>(bytes);
  RoundTrip<portrait::storage::ItemRecord>(bytes);
  RoundTrip<portrait::storage::LedgerRecord>(bytes);
  RoundTrip<portrait::storage::ReceiptRecord>(bytes);
  const absl::StatusOr<portrait::EventKeyParts> key =
      portrait::ParseEventKey(bytes);
  if (key.ok() &&
      portrait::EventKey(key->user_id, key->signal, key->occurred_at_ms,
                         key->event_id) != bytes) {
    std::abort();
  }
  std::string user;
  int64_t sequence = 0;
  if (portrait::ParseReceiptId(bytes, &user, &sequence).ok() &&
      portrait::ReceiptId(user, sequence) != bytes) {
    std::abort();
  }
  return 0;
}
