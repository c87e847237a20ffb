// Reading configuration files written in protobuf text format.
#ifndef PORTRAIT_BASE_TEXT_PROTO_H_
#define PORTRAIT_BASE_TEXT_PROTO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace portrait {

// Parses `text` into `*message`. INVALID_ARGUMENT naming the line and column
// of the first error.
absl::Status ParseTextProto(const std::string& text,
                            google::protobuf::Message* message);

// The whole file. NOT_FOUND if it cannot be read.
absl::StatusOr<std::string> ReadTextFile(const std::string& path);

}  // namespace portrait

#endif  // PORTRAIT_BASE_TEXT_PROTO_H_
