// PeerCircles: how a shard of a cluster (docs/SCALING.md) reads the circles
// of a user's friends that other shards hold. It asks every other shard at
// once (ShardService.GetCircles) with the friends this shard does not hold;
// each answers for those it holds, as the friends' consents stand at that
// moment. Nothing it reads is kept beyond the answer it is for.
//
// A shard that fails or does not answer within the timeout adds no circles:
// the answer is served without those friends. The first failure and the
// recovery are each logged once per shard (JSON lines "peer_circles_failed",
// "peer_circles_answered").
#ifndef PORTRAIT_SERVICES_SERVER_PEER_CIRCLES_H_
#define PORTRAIT_SERVICES_SERVER_PEER_CIRCLES_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "portrait/v1/shard.grpc.pb.h"
#include "services/recommend/candidate_sources.h"
#include "services/server/peer_shard.h"

namespace portrait {

// Thread-safe.
class PeerCircleFetcher final : public CircleFetcher {
 public:
  using Peer = PeerShard;

  PeerCircleFetcher(
      std::string own_name, const std::vector<Peer>& peers,
      const std::shared_ptr<grpc::ChannelCredentials>& credentials,
      absl::Duration timeout);

  PeerCircles Fetch(const std::string& viewer,
                    const std::vector<std::string>& friend_ids,
                    v1::CirclePart part, int64_t now_ms) const override;

 private:
  struct Link {
    Peer peer;
    std::unique_ptr<v1::ShardService::Stub> stub;
  };

  // Logs a change of a link's state (failing or answering) once.
  void Note(size_t link, const grpc::Status& status) const;

  const std::string own_name_;
  const absl::Duration timeout_;
  std::vector<Link> links_;
  mutable absl::Mutex mu_;
  mutable std::vector<bool> failing_ ABSL_GUARDED_BY(mu_);
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_SERVER_PEER_CIRCLES_H_
