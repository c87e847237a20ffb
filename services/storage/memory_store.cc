#include "services/storage/memory_store.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace portrait {
absl::StatusOr<std::string> MemoryStore::Get(Column column,
                                             absl::string_view key) {
  absl::MutexLock lock(&mu_);
  const Table& table = tables_[static_cast<int>(column)];
  auto it = table.find(key);
  if (it == table.end()) {
    return absl::NotFoundError(absl::StrCat("no key in ", ColumnName(column)));
  }
  return it->second;
}

absl::Status MemoryStore::Write(const WriteBatch& batch, bool /*sync*/) {
  for (const WriteBatch::Op& op : batch.ops()) {
    if (op.kind == WriteBatch::OpKind::kDeleteRange) {
      // Validated up front so that a bad batch applies nothing.
      PORTRAIT_RETURN_IF_ERROR(CheckDeleteRange(op.key, op.value));
    }
  }
  absl::MutexLock lock(&mu_);
  for (const WriteBatch::Op& op : batch.ops()) {
    Table& table = tables_[static_cast<int>(op.column)];
    switch (op.kind) {
      case WriteBatch::OpKind::kPut:
        table[op.key] = op.value;
        break;
      case WriteBatch::OpKind::kDelete:
        table.erase(op.key);
        break;
      case WriteBatch::OpKind::kDeleteRange:
        table.erase(table.lower_bound(op.key), table.lower_bound(op.value));
        break;
    }
  }
  return absl::OkStatus();
}

absl::Status MemoryStore::Scan(Column column, absl::string_view begin,
                               absl::string_view end,
                               const ScanVisitor& visit) {
  PORTRAIT_RETURN_IF_ERROR(CheckScanRange(begin, end));
  std::vector<std::pair<std::string, std::string>> snapshot;
  {
    absl::MutexLock lock(&mu_);
    const Table& table = tables_[static_cast<int>(column)];
    auto last = end.empty() ? table.end() : table.lower_bound(end);
    snapshot.assign(table.lower_bound(begin), last);
  }
  for (const auto& [key, value] : snapshot) {
    if (!visit(key, value)) break;
  }
  return absl::OkStatus();
}

absl::Status MemoryStore::CompactRange(Column, absl::string_view begin,
                                       absl::string_view end) {
  return CheckScanRange(begin, end);
}

}  // namespace portrait
