// The other shards of a cluster as a shard reaches them (docs/SCALING.md):
// by name and direct address, over a channel with no limit on what it
// receives (a contribution is 50 MB at 20,000 users, a training round's
// sums and a user's friends' circles can pass gRPC's 4 MB default too).
#ifndef PORTRAIT_SERVICES_SERVER_PEER_SHARD_H_
#define PORTRAIT_SERVICES_SERVER_PEER_SHARD_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "portrait/v1/shard.grpc.pb.h"

namespace portrait {

struct PeerShard {
  std::string name;     // Its --shard_name.
  std::string address;  // host:port, reached directly (not by the proxy).
};

// A ShardService stub to `peer` with `credentials`.
std::unique_ptr<v1::ShardService::Stub> PeerStub(
    const PeerShard& peer,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_SERVER_PEER_SHARD_H_
