#include "services/storage/ids.h"

#include "absl/strings/str_cat.h"

namespace portrait {
namespace {

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
         c == '@' || c == '-';
}

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

}  // namespace

absl::Status ValidateId(absl::string_view id, absl::string_view field,
                        int max_bytes) {
  if (id.empty()) return Invalid(field, "is required");
  if (id.size() > static_cast<size_t>(max_bytes)) {
    return Invalid(field, absl::StrCat("is ", id.size(),
                                       " bytes; the limit is ", max_bytes));
  }
  for (char c : id) {
    if (!IsIdChar(c)) {
      return Invalid(field, "may hold only the characters [A-Za-z0-9_.:@-]");
    }
  }
  return absl::OkStatus();
}

}  // namespace portrait
