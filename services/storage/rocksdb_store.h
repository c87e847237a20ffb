// The production Store: one RocksDB database on local disk, one column family
// per Column. Thread-safe.
#ifndef PORTRAIT_SERVICES_STORAGE_ROCKSDB_STORE_H_
#define PORTRAIT_SERVICES_STORAGE_ROCKSDB_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/storage/store.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Status;
}  // namespace rocksdb

namespace portrait {

// The one conversion of a RocksDB status: NOT_FOUND, DATA_LOSS (corruption),
// INVALID_ARGUMENT, UNIMPLEMENTED, ABORTED as RocksDB says; RESOURCE_EXHAUSTED
// for a full disk; FAILED_PRECONDITION when another process holds the
// database's lock file; UNAVAILABLE for other I/O errors (a failed write
// applied nothing, so the caller may retry). The message starts with `what`.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what);

class RocksDbStore : public Store {
 public:
  struct Options {
    // Directory of the database; created (with parents) if missing.
    std::string path;
    // Shared block cache, bytes.
    size_t block_cache_bytes = 64 << 20;
  };

  // Opens (creating if needed) the database at options.path.
  // Errors: FAILED_PRECONDITION if another process holds the database lock;
  // PERMISSION_DENIED / UNAVAILABLE if the directory cannot be created or
  // written; DATA_LOSS if the files are corrupt.
  static absl::StatusOr<std::unique_ptr<RocksDbStore>> Open(
      const Options& options);

  // Flushes memtables and closes the database.
  ~RocksDbStore() override;

  absl::StatusOr<std::string> Get(Column column,
                                  absl::string_view key) override;
  std::vector<absl::StatusOr<std::string>> MultiGet(
      Column column, const std::vector<std::string>& keys) override;
  absl::Status Write(const WriteBatch& batch, bool sync) override;
  absl::Status Scan(Column column, absl::string_view begin,
                    absl::string_view end, const ScanVisitor& visit) override;
  absl::Status CompactRange(Column column, absl::string_view begin,
                            absl::string_view end) override;

  // Flushes memtables to SST files; the WAL already makes writes durable.
  absl::Status Flush();

  // Sizes of a column family, for metrics: its SST files on disk, and
  // RocksDB's estimate of the live data in them.
  struct ColumnSizes {
    uint64_t sst_bytes = 0;
    uint64_t live_data_bytes = 0;
  };
  ColumnSizes Sizes(Column column) const;

  // Writes a consistent, openable copy of the database to `directory`,
  // which must not exist (RocksDB checkpoint: SST files hard-linked where
  // the file system allows). ALREADY_EXISTS, FAILED_PRECONDITION (no
  // parent directory) or INTERNAL, naming the directory.
  absl::Status Checkpoint(const std::string& directory);

 private:
  RocksDbStore(std::unique_ptr<rocksdb::DB> db,
               std::vector<rocksdb::ColumnFamilyHandle*> handles);

  // Constant after construction; handles_[c] is Column c's family.
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_STORAGE_ROCKSDB_STORE_H_
