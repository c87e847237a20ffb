// PeerSync: makes a shard of a cluster (docs/SCALING.md) serve popularity,
// co-engagement and follower counts summed over every shard. Each interval it
// fetches every other shard's contribution (ShardService.GetContribution) and
// applies it to the index (PortraitIndex::ApplyContribution). A shard it cannot
// reach keeps its last contribution; the first failure and the recovery are
// each logged once (JSON lines "peer_unreachable", "peer_reachable").
#ifndef PORTRAIT_SERVICES_SERVER_PEER_SYNC_H_
#define PORTRAIT_SERVICES_SERVER_PEER_SYNC_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "portrait/v1/shard.grpc.pb.h"
#include "services/portrait/portrait_index.h"
#include "services/server/background_worker.h"
#include "services/server/peer_shard.h"

namespace portrait {

class PeerSync {
 public:
  using Peer = PeerShard;

  // Starts fetching at once, then every `interval`. `index` must outlive it.
  // `applied`, if given, runs after each changed contribution is applied and
  // before this shard reports that it serves it: on an error (logged as
  // "peer_apply_failed") the report stays at the previous version, so the
  // receipts waiting for it wait, and the next fetch applies it again.
  PeerSync(std::string own_name, const std::vector<Peer>& peers,
           const std::shared_ptr<grpc::ChannelCredentials>& credentials,
           PortraitIndex* index, absl::Duration interval,
           std::function<absl::Status()> applied = nullptr);
  // Calls off a fetch in progress, then stops.
  ~PeerSync();

  // For each peer, by name: seconds since its counts were last fetched
  // (since the start, if never). Thread-safe.
  std::vector<std::pair<std::string, double>> SecondsSinceFetched() const;

 private:
  struct Link {
    Peer peer;
    std::unique_ptr<v1::ShardService::Stub> stub;
    // Only the worker thread touches these.
    bool failing = false;
    std::string applied_instance;  // What the index serves of this peer.
    uint64_t applied_version = 0;
  };

  void FetchAll();

  const std::string own_name_;
  PortraitIndex* const index_;
  const std::function<absl::Status()> applied_;
  const absl::Duration deadline_;
  std::vector<Link> links_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // By link.
  std::vector<absl::Time> fetched_at_ ABSL_GUARDED_BY(mu_);
  grpc::ClientContext* fetching_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::unique_ptr<BackgroundWorker> worker_;  // Last: starts after the rest.
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_SERVER_PEER_SYNC_H_
