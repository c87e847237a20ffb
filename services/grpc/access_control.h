// AccessControl: which authenticated caller may call which method.
//
// Callers present client certificates (mutual TLS); gRPC verifies them
// against the configured CA before a call starts. For every call, this
// processor then maps the certificate's identity (its subject common name)
// to the caller's roles (AccessConfig in access.proto) and lets the call
// through only if a role grants its method: UNAUTHENTICATED for an
// identity the configuration does not name, PERMISSION_DENIED naming the
// method and the caller's roles otherwise. It runs before the handler, for
// every service the server hosts (health and reflection included), so no
// handler can forget it.
#ifndef PORTRAIT_SERVICES_GRPC_ACCESS_CONTROL_H_
#define PORTRAIT_SERVICES_GRPC_ACCESS_CONTROL_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/auth_metadata_processor.h>

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "portrait/v1/access.pb.h"

namespace portrait {

// Whether `role` may call `method` ("/package.Service/Method").
bool RoleAllows(v1::Role role, absl::string_view method);

// The verified identity of a call's caller: its certificate's common name
// ("" without client certificates: a plaintext loopback server).
std::string PeerIdentity(const grpc::AuthContext& auth);
std::string CallerIdentity(const grpc::ServerContextBase& context);

class AccessControl final : public grpc::AuthMetadataProcessor {
 public:
  // INVALID_ARGUMENT naming the entry for a missing, malformed or repeated
  // identity or a caller without roles.
  static absl::StatusOr<std::shared_ptr<AccessControl>> Create(
      const v1::AccessConfig& config);
  // Parses the text format; errors as ParseTextProto and Create.
  static absl::StatusOr<std::shared_ptr<AccessControl>> FromText(
      const std::string& text);

  // Decides from memory only.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& auth_metadata,
                       grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

 private:
  explicit AccessControl(
      absl::flat_hash_map<std::string, std::vector<v1::Role>> roles)
      : roles_(std::move(roles)) {}

  // Constant after construction.
  const absl::flat_hash_map<std::string, std::vector<v1::Role>> roles_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_GRPC_ACCESS_CONTROL_H_
