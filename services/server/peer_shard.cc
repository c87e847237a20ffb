#include "services/server/peer_shard.h"

namespace portrait {

std::unique_ptr<v1::ShardService::Stub> PeerStub(
    const PeerShard& peer,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(-1);
  return v1::ShardService::NewStub(
      grpc::CreateCustomChannel(peer.address, credentials, arguments));
}

}  // namespace portrait
