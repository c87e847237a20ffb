// PeerErasure: the "peer_shards" component of a shard's erasure receipts
// (docs/SCALING.md). The other shards of a cluster serve this shard's
// popularity, co-engagement and follower counts as they last fetched them
// (PeerSync), so a revocation is out of them only once every peer serves
// counts taken after it. Each peer says which it serves with every fetch
// (GetContributionRequest.applied_*); the component is DONE when all do, or
// stays PENDING, past its 60 s deadline, while a peer does not ask.
#ifndef PORTRAIT_SERVICES_CLUSTER_PEER_ERASURE_H_
#define PORTRAIT_SERVICES_CLUSTER_PEER_ERASURE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "services/consent/consent_observer.h"
#include "services/locking/user_locks.h"
#include "services/portrait/portrait_index.h"
#include "services/storage/store.h"

namespace portrait {

// Thread-safe. All pointers must outlive it.
class PeerErasure : public ConsentObserver {
 public:
  // `peers`: the other shards' names; none means no component.
  PeerErasure(Store* store, const Clock* clock, UserLocks* locks,
              const PortraitIndex* index, std::vector<std::string> peers);

  // The receipts still pending in storage (after a restart, each then needs
  // the counts as loaded). Call once, after the index loaded. DATA_LOSS
  // naming the key if a record does not parse; storage errors.
  absl::Status Load();

  // Names this run: a peer's report of a version counts only for it.
  const std::string& instance() const { return instance_; }

  std::vector<ErasureDuty> Duties() const override;
  void AddToCommit(const RevocationCommit& commit, WriteBatch* batch) override;
  // Notes the version of the counts that leave the revocation out.
  absl::Status OnConsentCommitted(const std::string& user_id,
                                  const storage::ConsentRecord& record,
                                  const v1::ErasureReceipt& receipt) override;

  // `peer` serves this shard's counts of `version` of run `instance`:
  // completes every receipt all peers now cover. Errors: storage.
  absl::Status Reported(const std::string& peer, const std::string& instance,
                        uint64_t version);

  // The least version of this run's counts that every peer has reported
  // serving; 0 until each has.
  uint64_t ServedByAll() const;

 private:
  struct Pending {
    std::string user_id;
    int64_t sequence = 0;
    uint64_t version = 0;  // Counts as of after the revocation.
  };

  Store* const store_;
  const Clock* const clock_;
  UserLocks* const locks_;
  const PortraitIndex* const index_;
  const std::vector<std::string> peers_;
  const std::string instance_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Pending> pending_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint64_t> served_ ABSL_GUARDED_BY(mu_);

  uint64_t LeastServed() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_CLUSTER_PEER_ERASURE_H_
