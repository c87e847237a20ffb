// The narrow storage interface every stateful part of Portrait writes
// through. Implementations: RocksDbStore (production, on disk), MemoryStore
// (tests). A store is a set of ordered key-value spaces ("columns"), written
// atomically in batches.
#ifndef PORTRAIT_SERVICES_STORAGE_STORE_H_
#define PORTRAIT_SERVICES_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace portrait {

// One key space per kind of data. docs/STORAGE.md gives each one's keys.
enum class Column : uint8_t {
  kEvents = 0,     // Raw behaviour events, one user's one signal contiguous.
  kEventIds = 1,   // Idempotency keys of stored events.
  kCatalog = 2,    // Posts, brands, people.
  kConsent = 3,    // Consent state per user.
  kLedger = 4,     // Append-only audit ledger per user.
  kPortraits = 5,  // Per-user feature blocks.
  kModels = 6,     // Shared model state.
  kMeta = 7,       // Schema version and other server-wide records.
  kPush = 8,       // Pushes sent to each user (PushService.RecordPushes).
};
inline constexpr int kNumColumns = 9;

// Stable name of a column; also the RocksDB column family name.
absl::string_view ColumnName(Column column);

// An ordered list of mutations applied all-or-nothing by Store::Write.
// Not thread-safe.
class WriteBatch {
 public:
  enum class OpKind { kPut, kDelete, kDeleteRange };
  struct Op {
    OpKind kind;
    Column column;
    std::string key;    // kDeleteRange: first key erased.
    std::string value;  // kPut: the value; kDeleteRange: the end, excluded.
  };

  void Put(Column column, absl::string_view key, absl::string_view value);
  void Delete(Column column, absl::string_view key);
  // Erases every key k with begin <= k < end. Store::Write fails with
  // INVALID_ARGUMENT, applying nothing, if end < begin.
  void DeleteRange(Column column, absl::string_view begin,
                   absl::string_view end);
  // Appends every op of `other`.
  void Append(const WriteBatch& other);

  const std::vector<Op>& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }

 private:
  std::vector<Op> ops_;
};

// Called for each key in a scan, in key order; returns false to stop early.
using ScanVisitor =
    std::function<bool(absl::string_view key, absl::string_view value)>;

// Thread-safe key-value storage.
//
// Errors: UNAVAILABLE for failures a retry may fix (I/O), DATA_LOSS for
// corruption, INVALID_ARGUMENT for malformed calls (e.g. a range whose end is
// below its begin). A failed Write applied nothing.
class Store {
 public:
  virtual ~Store() = default;

  // The value of `key`, or NOT_FOUND.
  virtual absl::StatusOr<std::string> Get(Column column,
                                          absl::string_view key) = 0;

  // The value of each key, in order (NOT_FOUND where absent), from one
  // consistent view. Faster than repeated Get where the store batches.
  virtual std::vector<absl::StatusOr<std::string>> MultiGet(
      Column column, const std::vector<std::string>& keys);

  // Applies every op of `batch` atomically, in order. With `sync`, the batch
  // is on stable storage when Write returns OK.
  virtual absl::Status Write(const WriteBatch& batch, bool sync) = 0;

  // Visits every key k with begin <= k < end (an empty `end` means no upper
  // bound) in order, from one consistent snapshot. `visit` must not call
  // back into the store.
  virtual absl::Status Scan(Column column, absl::string_view begin,
                            absl::string_view end,
                            const ScanVisitor& visit) = 0;

  // Rewrites the files holding keys in [begin, end) (empty end: no bound) so
  // that deleted values in the range no longer exist on disk. Blocks until
  // done. A no-op where nothing outlives a delete (MemoryStore).
  virtual absl::Status CompactRange(Column column, absl::string_view begin,
                                    absl::string_view end) = 0;
};

// The smallest key greater than every key starting with `prefix`, or "" if
// there is none (prefix is all 0xff). For Scan and DeleteRange ends.
std::string PrefixEnd(absl::string_view prefix);

// INVALID_ARGUMENT unless begin <= end: the rule for WriteBatch::DeleteRange,
// shared by every Store implementation.
absl::Status CheckDeleteRange(absl::string_view begin, absl::string_view end);

// INVALID_ARGUMENT unless end is empty (no bound) or begin <= end: the rule
// for Store::Scan.
absl::Status CheckScanRange(absl::string_view begin, absl::string_view end);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_STORAGE_STORE_H_
