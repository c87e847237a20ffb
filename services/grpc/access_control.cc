#include "services/grpc/access_control.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "base/text_proto.h"
#include "services/storage/ids.h"

namespace portrait {
namespace {

// The service part of "/package.Service/Method".
absl::string_view ServiceOf(absl::string_view method) {
  if (absl::StartsWith(method, "/")) method.remove_prefix(1);
  const size_t slash = method.find('/');
  return slash == absl::string_view::npos ? method : method.substr(0, slash);
}

std::string RoleNames(const std::vector<v1::Role>& roles) {
  return absl::StrJoin(roles, ", ", [](std::string* out, v1::Role role) {
    out->append(v1::Role_Name(role));
  });
}

}  // namespace

bool RoleAllows(v1::Role role, absl::string_view method) {
  const absl::string_view service = ServiceOf(method);
  if (role == v1::ROLE_ADMIN) return true;
  if (service == "grpc.health.v1.Health") return role != v1::ROLE_UNSPECIFIED;
  switch (role) {
    case v1::ROLE_FEED:
      return service == "portrait.v1.RecommendService";
    case v1::ROLE_PUSH_SCHEDULER:
      return service == "portrait.v1.PushService";
    case v1::ROLE_TOGGLE_HANDLER:
      return service == "portrait.v1.ConsentService";
    case v1::ROLE_EVENT_PIPELINE:
      return service == "portrait.v1.IngestService";
    case v1::ROLE_SHARD_PEER:
      return service == "portrait.v1.ShardService";
    case v1::ROLE_PRIVACY_DESK:
      return service == "portrait.v1.ProfileService" ||
             service == "portrait.v1.ConsentService";
    default:
      return false;
  }
}

std::string PeerIdentity(const grpc::AuthContext& auth) {
  if (!auth.IsPeerAuthenticated()) return "";
  const std::vector<grpc::string_ref> identity = auth.GetPeerIdentity();
  return identity.empty() ? ""
                          : std::string(identity[0].data(), identity[0].size());
}

std::string CallerIdentity(const grpc::ServerContextBase& context) {
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  return auth == nullptr ? "" : PeerIdentity(*auth);
}

absl::StatusOr<std::shared_ptr<AccessControl>> AccessControl::Create(
    const v1::AccessConfig& config) {
  absl::flat_hash_map<std::string, std::vector<v1::Role>> roles;
  for (int i = 0; i < config.callers_size(); ++i) {
    const v1::CallerRoles& caller = config.callers(i);
    const std::string field = absl::StrCat("callers[", i, "]");
    PORTRAIT_RETURN_IF_ERROR(
        ValidateId(caller.identity(), absl::StrCat(field, ".identity")));
    if (roles.contains(caller.identity())) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".identity: ", caller.identity(), " is named twice"));
    }
    std::vector<v1::Role>& granted = roles[caller.identity()];
    for (int r : caller.roles()) {
      if (r == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(r)) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".roles: ", r, " is not a role"));
      }
      granted.push_back(static_cast<v1::Role>(r));
    }
    if (granted.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".roles: ", caller.identity(), " has none"));
    }
  }
  return std::shared_ptr<AccessControl>(new AccessControl(std::move(roles)));
}

absl::StatusOr<std::shared_ptr<AccessControl>> AccessControl::FromText(
    const std::string& text) {
  v1::AccessConfig config;
  PORTRAIT_RETURN_IF_ERROR(ParseTextProto(text, &config));
  return Create(config);
}

grpc::Status AccessControl::Process(const InputMetadata& auth_metadata,
                                    grpc::AuthContext* context,
                                    OutputMetadata* consumed_auth_metadata,
                                    OutputMetadata* response_metadata) {
  std::string method;
  const auto path = auth_metadata.find(":path");
  if (path != auth_metadata.end()) {
    method.assign(path->second.data(), path->second.size());
  }
  const std::string caller = PeerIdentity(*context);
  const auto roles = roles_.find(caller);
  if (caller.empty() || roles == roles_.end()) {
    return grpc::Status(
        grpc::StatusCode::UNAUTHENTICATED,
        absl::StrCat("caller \"", caller,
                     "\" is not in the access configuration; it may call "
                     "nothing, not ",
                     method));
  }
  for (v1::Role role : roles->second) {
    if (RoleAllows(role, method)) return grpc::Status::OK;
  }
  return grpc::Status(
      grpc::StatusCode::PERMISSION_DENIED,
      absl::StrCat("caller ", caller, " with role ", RoleNames(roles->second),
                   " may not call ", method));
}

}  // namespace portrait
