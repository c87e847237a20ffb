// Reading configuration files written in protobuf text format.
#ifndef PORTRAIT_BASE_TEXT_PROTO_H_
#define PORTRAIT_BASE_TEXT_PROTO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace portrait {

// Parses `text` into `*message`. INVALID_ARGUMENT naming the line and column
// of the first error.
absl::Status ParseTextProto(const std::string& text,
                            google::protobuf::Message* message);

// The whole file. NOT_FOUND if it cannot be read.
absl::StatusOr<std::string> ReadTextFile(const std::string& path);

// A configuration `T` read from `path` and built by `from_text`: NOT_FOUND
// "<what> file <path> cannot be read" if unreadable; otherwise from_text's
// error with the path in front.
template <typename T>
absl::StatusOr<T> LoadConfigFile(
    const std::string& path, absl::string_view what,
    absl::StatusOr<T> (*from_text)(const std::string&)) {
  absl::StatusOr<std::string> text = ReadTextFile(path);
  if (!text.ok()) {
    return absl::NotFoundError(
        absl::StrCat(what, " file ", text.status().message()));
  }
  absl::StatusOr<T> config = from_text(*text);
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(path, ": ", config.status().message()));
  }
  return config;
}

}  // namespace portrait

#endif  // PORTRAIT_BASE_TEXT_PROTO_H_
