#include "services/storage/store.h"

#include "absl/strings/str_cat.h"

namespace portrait {

absl::string_view ColumnName(Column column) {
  switch (column) {
    case Column::kEvents:
      return "events";
    case Column::kEventIds:
      return "event_ids";
    case Column::kCatalog:
      return "catalog";
    case Column::kConsent:
      return "consent";
    case Column::kLedger:
      return "ledger";
    case Column::kPortraits:
      return "portraits";
    case Column::kModels:
      return "models";
    case Column::kMeta:
      return "meta";
    case Column::kPush:
      return "push";
  }
  return "unknown";
}

void WriteBatch::Put(Column column, absl::string_view key,
                     absl::string_view value) {
  ops_.push_back({OpKind::kPut, column, std::string(key), std::string(value)});
}

void WriteBatch::Delete(Column column, absl::string_view key) {
  ops_.push_back({OpKind::kDelete, column, std::string(key), std::string()});
}

void WriteBatch::DeleteRange(Column column, absl::string_view begin,
                             absl::string_view end) {
  ops_.push_back(
      {OpKind::kDeleteRange, column, std::string(begin), std::string(end)});
}

void WriteBatch::Append(const WriteBatch& other) {
  ops_.insert(ops_.end(), other.ops_.begin(), other.ops_.end());
}

std::vector<absl::StatusOr<std::string>> Store::MultiGet(
    Column column, const std::vector<std::string>& keys) {
  std::vector<absl::StatusOr<std::string>> values;
  values.reserve(keys.size());
  for (const std::string& key : keys) values.push_back(Get(column, key));
  return values;
}

std::string PrefixEnd(absl::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last != 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return end;
}

absl::Status CheckDeleteRange(absl::string_view begin, absl::string_view end) {
  if (end < begin) {
    return absl::InvalidArgumentError(absl::StrCat(
        "DeleteRange end (", end.size(), " bytes) is below its begin (",
        begin.size(), " bytes); the end must be >= the begin"));
  }
  return absl::OkStatus();
}

absl::Status CheckScanRange(absl::string_view begin, absl::string_view end) {
  if (end.empty()) return absl::OkStatus();
  if (end < begin) {
    return absl::InvalidArgumentError(
        "Scan end is below its begin; the end must be empty or >= the begin");
  }
  return absl::OkStatus();
}

}  // namespace portrait
