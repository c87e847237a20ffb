// HaproxyRing: which shard HAProxy 2.6 sends a user's calls to, computed
// here as HAProxy computes it, so that a tool can tell where each user's data
// belongs before the proxy routes a single call (tools/cluster/reshard,
// tools/cluster/ring; docs/SCALING.md).
//
// It models exactly the configuration tools/cluster/haproxy_config.py writes:
// `balance hdr(x-portrait-user)`, `hash-type consistent` (sdbm, the default
// function), every server of weight 1 with `id` its position in the list,
// counted from 1. HAProxy then places 16 points per server on a 32-bit ring,
// point j of the server with id n at full_hash(n * 4096 + j) (one of Bob
// Jenkins' integer hashes), and sends a user to the nearer of the points on
// either side of full_hash(sdbm(user id)) (the earlier one on a tie).
// tests/reshard_test checks it against the real proxy.
#ifndef PORTRAIT_SERVICES_CLUSTER_HAPROXY_RING_H_
#define PORTRAIT_SERVICES_CLUSTER_HAPROXY_RING_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace portrait {

// Immutable, so thread-safe.
class HaproxyRing {
 public:
  // `shards`: the names in the order haproxy_config.py was given them; at
  // least one.
  explicit HaproxyRing(std::vector<std::string> shards);

  // The name of the shard the proxy routes x-portrait-user `user_id` to.
  const std::string& ShardOf(absl::string_view user_id) const;

  const std::vector<std::string>& shards() const { return shards_; }

 private:
  std::vector<std::string> shards_;
  // (point, index into shards_), by point.
  std::vector<std::pair<uint32_t, int>> points_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_CLUSTER_HAPROXY_RING_H_
