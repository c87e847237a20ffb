#include "services/storage/rocksdb_store.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"

namespace portrait {

// The one place a rocksdb::Status becomes an absl::Status.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string message = absl::StrCat(what, ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(message);
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  if (s.IsNotSupported()) return absl::UnimplementedError(message);
  if (s.IsAborted()) return absl::AbortedError(message);
  if (s.IsIOError() && s.subcode() == rocksdb::Status::kNoSpace) {
    return absl::ResourceExhaustedError(message);
  }
  // A held database lock names the lock file ("While lock file: <dir>/LOCK:
  // ..." from another process, "lock hold by current process ... <dir>/LOCK:"
  // from this one); match that, not any message with "lock" in it ("block").
  if (s.IsIOError() && absl::StrContains(s.ToString(), "/LOCK")) {
    return absl::FailedPreconditionError(absl::StrCat(
        message, " (is another portraitd using this data directory?)"));
  }
  // I/O errors, busy, timed out, try again: a failed write applied nothing,
  // so the caller may retry.
  return absl::UnavailableError(message);
}

namespace {

rocksdb::Slice ToSlice(absl::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}

absl::string_view ToView(const rocksdb::Slice& s) {
  return absl::string_view(s.data(), s.size());
}

absl::Status PrepareDirectory(const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError("data directory path is empty");
  }
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    std::string message = absl::StrCat("data directory ", path,
                                       ": cannot create: ", ec.message());
    if (ec == std::errc::permission_denied) {
      return absl::PermissionDeniedError(message);
    }
    return absl::UnavailableError(message);
  }
  return absl::OkStatus();
}

rocksdb::ColumnFamilyOptions FamilyOptions(
    const std::shared_ptr<rocksdb::Cache>& cache, bool point_reads_miss) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Point lookups (idempotency keys, consent) mostly miss or hit one key.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions options;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  if (point_reads_miss) {
    // A whole-key Bloom filter on the memtable too: without it, every
    // lookup of a key that is not there searches the memtable's skip list.
    options.memtable_prefix_bloom_size_ratio = 0.05;
    options.memtable_whole_key_filtering = true;
  }
  return options;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RocksDbStore>> RocksDbStore::Open(
    const Options& options) {
  PORTRAIT_RETURN_IF_ERROR(PrepareDirectory(options.path));
  std::shared_ptr<rocksdb::Cache> cache =
      rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  families.emplace_back(rocksdb::kDefaultColumnFamilyName,
                        FamilyOptions(cache, false));
  for (int c = 0; c < kNumColumns; ++c) {
    const Column column = static_cast<Column>(c);
    // Every stored event's idempotency key is looked up first, and nearly
    // all of those lookups miss.
    families.emplace_back(std::string(ColumnName(column)),
                          FamilyOptions(cache, column == Column::kEventIds));
  }
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw_db = nullptr;
  PORTRAIT_RETURN_IF_ERROR(FromRocks(
      rocksdb::DB::Open(db_options, options.path, families, &handles, &raw_db),
      absl::StrCat("opening database in ", options.path)));
  std::unique_ptr<rocksdb::DB> db(raw_db);
  // handles[0] is the default family, which Portrait does not use.
  PORTRAIT_RETURN_IF_ERROR(
      FromRocks(db->DestroyColumnFamilyHandle(handles[0]), "closing default"));
  handles.erase(handles.begin());
  return std::unique_ptr<RocksDbStore>(
      new RocksDbStore(std::move(db), std::move(handles)));
}

RocksDbStore::RocksDbStore(std::unique_ptr<rocksdb::DB> db,
                           std::vector<rocksdb::ColumnFamilyHandle*> handles)
    : db_(std::move(db)), handles_(std::move(handles)) {}

RocksDbStore::~RocksDbStore() {
  // Errors here cannot be returned; the WAL already holds every write.
  (void)Flush();
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    (void)db_->DestroyColumnFamilyHandle(handle);
  }
  (void)db_->Close();
}

absl::Status RocksDbStore::Flush() {
  rocksdb::FlushOptions options;
  options.wait = true;
  return FromRocks(db_->Flush(options, handles_), "flushing");
}

absl::Status RocksDbStore::Checkpoint(const std::string& directory) {
  std::error_code error;
  if (std::filesystem::exists(directory, error)) {
    return absl::AlreadyExistsError(
        absl::StrCat("directory: ", directory, " exists already"));
  }
  const std::filesystem::path parent =
      std::filesystem::path(directory).parent_path();
  if (!std::filesystem::is_directory(parent, error)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "directory: the parent ", parent.string(), " is not a directory"));
  }
  rocksdb::Checkpoint* raw = nullptr;
  PORTRAIT_RETURN_IF_ERROR(
      FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "checkpoint"));
  const std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  const rocksdb::Status s = checkpoint->CreateCheckpoint(directory);
  if (!s.ok()) {
    return absl::InternalError(
        absl::StrCat("checkpoint to ", directory, ": ", s.ToString()));
  }
  return absl::OkStatus();
}

RocksDbStore::ColumnSizes RocksDbStore::Sizes(Column column) const {
  ColumnSizes sizes;
  rocksdb::ColumnFamilyHandle* family = handles_[static_cast<int>(column)];
  db_->GetIntProperty(family, rocksdb::DB::Properties::kTotalSstFilesSize,
                      &sizes.sst_bytes);
  db_->GetIntProperty(family, rocksdb::DB::Properties::kEstimateLiveDataSize,
                      &sizes.live_data_bytes);
  return sizes;
}

absl::StatusOr<std::string> RocksDbStore::Get(Column column,
                                              absl::string_view key) {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), handles_[static_cast<int>(column)],
               ToSlice(key), &value);
  PORTRAIT_RETURN_IF_ERROR(
      FromRocks(s, absl::StrCat("reading ", ColumnName(column))));
  return value;
}

std::vector<absl::StatusOr<std::string>> RocksDbStore::MultiGet(
    Column column, const std::vector<std::string>& keys) {
  std::vector<rocksdb::Slice> slices;
  slices.reserve(keys.size());
  for (const std::string& key : keys) slices.push_back(ToSlice(key));
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(rocksdb::ReadOptions(), handles_[static_cast<int>(column)],
                keys.size(), slices.data(), values.data(), statuses.data());
  std::vector<absl::StatusOr<std::string>> out;
  out.reserve(keys.size());
  const std::string what = absl::StrCat("reading ", ColumnName(column));
  for (size_t i = 0; i < keys.size(); ++i) {
    absl::Status status = FromRocks(statuses[i], what);
    if (status.ok()) {
      out.emplace_back(values[i].ToString());
    } else {
      out.emplace_back(std::move(status));
    }
  }
  return out;
}

absl::Status RocksDbStore::Write(const WriteBatch& batch, bool sync) {
  rocksdb::WriteBatch rocks_batch;
  for (const WriteBatch::Op& op : batch.ops()) {
    rocksdb::ColumnFamilyHandle* family = handles_[static_cast<int>(op.column)];
    rocksdb::Status s;
    switch (op.kind) {
      case WriteBatch::OpKind::kPut:
        s = rocks_batch.Put(family, ToSlice(op.key), ToSlice(op.value));
        break;
      case WriteBatch::OpKind::kDelete:
        s = rocks_batch.Delete(family, ToSlice(op.key));
        break;
      case WriteBatch::OpKind::kDeleteRange:
        PORTRAIT_RETURN_IF_ERROR(CheckDeleteRange(op.key, op.value));
        s = rocks_batch.DeleteRange(family, ToSlice(op.key), ToSlice(op.value));
        break;
    }
    PORTRAIT_RETURN_IF_ERROR(FromRocks(s, "building write batch"));
  }
  rocksdb::WriteOptions options;
  options.sync = sync;
  return FromRocks(db_->Write(options, &rocks_batch), "writing batch");
}

absl::Status RocksDbStore::Scan(Column column, absl::string_view begin,
                                absl::string_view end,
                                const ScanVisitor& visit) {
  PORTRAIT_RETURN_IF_ERROR(CheckScanRange(begin, end));
  rocksdb::ReadOptions options;
  rocksdb::Slice upper = ToSlice(end);
  if (!end.empty()) options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(options, handles_[static_cast<int>(column)]));
  for (it->Seek(ToSlice(begin)); it->Valid(); it->Next()) {
    if (!visit(ToView(it->key()), ToView(it->value()))) break;
  }
  return FromRocks(it->status(), absl::StrCat("scanning ", ColumnName(column)));
}

absl::Status RocksDbStore::CompactRange(Column column, absl::string_view begin,
                                        absl::string_view end) {
  PORTRAIT_RETURN_IF_ERROR(CheckScanRange(begin, end));
  rocksdb::CompactRangeOptions options;
  // Rewrite the bottom level too, or range tombstones and the values they
  // cover can stay there.
  options.bottommost_level_compaction =
      rocksdb::BottommostLevelCompaction::kForce;
  rocksdb::Slice b = ToSlice(begin);
  rocksdb::Slice e = ToSlice(end);
  return FromRocks(
      db_->CompactRange(options, handles_[static_cast<int>(column)], &b,
                        end.empty() ? nullptr : &e),
      absl::StrCat("compacting ", ColumnName(column)));
}

}  // namespace portrait
