#include "services/grpc/shard_guard.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace portrait {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::optional<absl::string_view> Header(const grpc::ServerContextBase& context,
                                        absl::string_view name) {
  const auto& metadata = context.client_metadata();
  const auto it = metadata.find(grpc::string_ref(name.data(), name.size()));
  if (it == metadata.end()) return std::nullopt;
  return absl::string_view(it->second.data(), it->second.size());
}

// The first `user_id` / `user_ids` field under `message` that is not
// `user`, as its path ("events[3].user_id") and value; empty if none.
std::pair<std::string, std::string> OtherUser(const Message& message,
                                              absl::string_view user,
                                              const std::string& path) {
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string name =
        path.empty() ? field->name() : absl::StrCat(path, ".", field->name());
    if (field->type() == FieldDescriptor::TYPE_STRING &&
        (field->name() == "user_id" || field->name() == "user_ids")) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          std::string value = reflection->GetRepeatedString(message, field, i);
          if (value != user) return {absl::StrCat(name, "[", i, "]"), value};
        }
      } else if (std::string value = reflection->GetString(message, field);
                 value != user) {
        return {name, value};
      }
    } else if (field->type() == FieldDescriptor::TYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          auto found =
              OtherUser(reflection->GetRepeatedMessage(message, field, i), user,
                        absl::StrCat(name, "[", i, "]"));
          if (!found.first.empty()) return found;
        }
      } else {
        auto found =
            OtherUser(reflection->GetMessage(message, field), user, name);
        if (!found.first.empty()) return found;
      }
    }
  }
  return {};
}

}  // namespace

ShardGuard::ShardGuard(std::string shard_name)
    : shard_name_(std::move(shard_name)) {}

grpc::Status ShardGuard::ShardCall(
    const grpc::ServerContextBase& context) const {
  if (shard_name_.empty()) return grpc::Status::OK;
  const std::optional<absl::string_view> routed =
      Header(context, kRoutedShardHeader);
  if (!routed.has_value()) {
    return grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION,
        absl::StrCat(kRoutedShardHeader, ": missing; shard ", shard_name_,
                     " serves only calls its proxy routed to it"));
  }
  if (*routed != shard_name_) {
    return grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION,
        absl::StrCat(kRoutedShardHeader, ": routed to shard ", *routed,
                     ", but this is shard ", shard_name_));
  }
  return grpc::Status::OK;
}

grpc::Status ShardGuard::UserCall(const grpc::ServerContextBase& context,
                                  const Message& request) const {
  if (shard_name_.empty()) return grpc::Status::OK;
  if (grpc::Status routed = ShardCall(context); !routed.ok()) return routed;
  const std::optional<absl::string_view> user =
      Header(context, kRoutedUserHeader);
  if (!user.has_value() || user->empty()) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat(kRoutedUserHeader,
                     ": missing; a sharded server needs the user a call is "
                     "about, to route it"));
  }
  const auto [field, other] = OtherUser(request, *user, "");
  if (!field.empty()) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat(field, ": is ", other, ", but the call was routed by ",
                     kRoutedUserHeader, " ", *user,
                     "; a call carries one user's data only"));
  }
  return grpc::Status::OK;
}

}  // namespace portrait
