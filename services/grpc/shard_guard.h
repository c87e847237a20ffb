// ShardGuard: keeps every user's data on one shard of a cluster
// (docs/SCALING.md). A proxy (HAProxy) routes each call by its
// `x-portrait-user` header on a consistent-hash ring and names the shard it
// chose in `x-portrait-shard`. A shard accepts a call only if it names this
// shard, and a call about users only if every user it carries is the one
// it was routed by: a misrouted or mixed call could otherwise leave part of
// a user's data on a shard that a later revocation does not reach.
//
// A guard with no shard name (a server that is not part of a cluster)
// accepts every call.
#ifndef PORTRAIT_SERVICES_GRPC_SHARD_GUARD_H_
#define PORTRAIT_SERVICES_GRPC_SHARD_GUARD_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "google/protobuf/message.h"

namespace portrait {

// The metadata a proxy routes by and a shard checks.
inline constexpr char kRoutedUserHeader[] = "x-portrait-user";
inline constexpr char kRoutedShardHeader[] = "x-portrait-shard";

// Thread-safe (immutable).
class ShardGuard {
 public:
  // `shard_name`: this shard's name in the proxy's configuration; empty for
  // a server that is not sharded.
  explicit ShardGuard(std::string shard_name);

  // For a call about one user. FAILED_PRECONDITION if the call was not
  // routed to this shard; INVALID_ARGUMENT if it has no x-portrait-user or
  // if any `user_id` or `user_ids` field of `request`, at any depth, names
  // another user (the message names the field and both users).
  grpc::Status UserCall(const grpc::ServerContextBase& context,
                        const google::protobuf::Message& request) const;

  // For a call to this shard as a whole (the catalog, a segment's push
  // stream, a checkpoint). FAILED_PRECONDITION if it was not routed here.
  grpc::Status ShardCall(const grpc::ServerContextBase& context) const;

  const std::string& shard_name() const { return shard_name_; }

 private:
  const std::string shard_name_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_GRPC_SHARD_GUARD_H_
