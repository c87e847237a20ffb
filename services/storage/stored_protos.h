// Reading stored protocol buffers: one value (ParseStored) or every value of
// a key range (ScanProtos), DATA_LOSS for a value that does not parse.
#ifndef PORTRAIT_SERVICES_STORAGE_STORED_PROTOS_H_
#define PORTRAIT_SERVICES_STORAGE_STORED_PROTOS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "services/storage/store.h"

namespace portrait {

// `bytes` parsed as a T. DATA_LOSS "<what> does not parse" otherwise.
template <typename T>
absl::StatusOr<T> ParseStored(absl::string_view bytes, absl::string_view what) {
  T proto;
  if (!proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat(what, " does not parse"));
  }
  return proto;
}

// Scans [begin, end) of `column` in key order, parsing each value as a T and
// calling visit(key, T&) -> bool (false stops the scan; the T may be moved
// from). Errors: the store's; DATA_LOSS "<what> does not parse" for the first
// value that does not, which stops the scan.
template <typename T, typename Visit>
absl::Status ScanProtos(Store* store, Column column, absl::string_view begin,
                        absl::string_view end, absl::string_view what,
                        Visit&& visit) {
  absl::Status parse_status;
  T proto;
  absl::Status status = store->Scan(
      column, begin, end, [&](absl::string_view key, absl::string_view value) {
        if (!proto.ParseFromArray(value.data(),
                                  static_cast<int>(value.size()))) {
          parse_status =
              absl::DataLossError(absl::StrCat(what, " does not parse"));
          return false;
        }
        return visit(key, proto);
      });
  return status.ok() ? parse_status : status;
}

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_STORAGE_STORED_PROTOS_H_
