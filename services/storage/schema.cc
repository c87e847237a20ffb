#include "services/storage/schema.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace portrait {
namespace {

constexpr absl::string_view kSchemaKey = "schema_version";

absl::StatusOr<bool> IsEmpty(Store* store) {
  bool empty = true;
  for (int c = 0; c < kNumColumns && empty; ++c) {
    PORTRAIT_RETURN_IF_ERROR(
        store->Scan(static_cast<Column>(c), "", "",
                    [&](absl::string_view, absl::string_view) {
                      empty = false;
                      return false;
                    }));
  }
  return empty;
}

}  // namespace

absl::Status CheckOrStampSchema(Store* store) {
  absl::StatusOr<std::string> stamp = store->Get(Column::kMeta, kSchemaKey);
  if (stamp.ok()) {
    int version = 0;
    if (!absl::SimpleAtoi(*stamp, &version) || version != kSchemaVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat("the database has layout version ", *stamp,
                       "; this portraitd reads ", kSchemaVersion, " only"));
    }
    return absl::OkStatus();
  }
  if (!absl::IsNotFound(stamp.status())) return stamp.status();
  PORTRAIT_ASSIGN_OR_RETURN(bool empty, IsEmpty(store));
  if (!empty) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the database holds data but no layout version (written before "
        "version ",
        kSchemaVersion,
        "); move it aside or point --data_dir "
        "elsewhere"));
  }
  WriteBatch batch;
  batch.Put(Column::kMeta, kSchemaKey, absl::StrCat(kSchemaVersion));
  return store->Write(batch, /*sync=*/true);
}

}  // namespace portrait
