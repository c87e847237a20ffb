#include "services/cluster/haproxy_ring.h"

#include <algorithm>

namespace portrait {
namespace {

// HAProxy's constants: BE_WEIGHT_SCALE points per unit of weight, and
// SRV_EWGHT_RANGE (256 * BE_WEIGHT_SCALE) between two servers' point seeds.
constexpr uint32_t kPointsPerServer = 16;
constexpr uint32_t kSeedStride = 256 * 16;

// HAProxy's full_hash: one of Bob Jenkins' full-avalanche integer hashes,
// then a multiplication that spreads the points around the ring.
uint32_t FullHash(uint32_t a) {
  a = (a + 0x7ed55d16u) + (a << 12);
  a = (a ^ 0xc761c23cu) ^ (a >> 19);
  a = (a + 0x165667b1u) + (a << 5);
  a = (a + 0xd3a2646cu) ^ (a << 9);
  a = (a + 0xfd7046c5u) + (a << 3);
  a = (a ^ 0xb55a4f09u) ^ (a >> 16);
  return a * 3221225473u;
}

// HAProxy's default hash function.
uint32_t Sdbm(absl::string_view key) {
  uint32_t hash = 0;
  for (unsigned char c : key) hash = c + (hash << 6) + (hash << 16) - hash;
  return hash;
}

}  // namespace

HaproxyRing::HaproxyRing(std::vector<std::string> shards)
    : shards_(std::move(shards)) {
  for (int i = 0; i < static_cast<int>(shards_.size()); ++i) {
    const uint32_t id = static_cast<uint32_t>(i) + 1;
    for (uint32_t j = 0; j < kPointsPerServer; ++j) {
      points_.emplace_back(FullHash(id * kSeedStride + j), i);
    }
  }
  // Stable: of two servers on one point, the first placed is found first.
  std::stable_sort(
      points_.begin(), points_.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
}

const std::string& HaproxyRing::ShardOf(absl::string_view user_id) const {
  // HAProxy 2.6 passes the header's sdbm hash through full_hash before it
  // looks it up on a consistent ring (measured against Debian's 2.6.12).
  const uint32_t hash = FullHash(Sdbm(user_id));
  auto next = std::lower_bound(
      points_.begin(), points_.end(), hash,
      [](const auto& point, uint32_t h) { return point.first < h; });
  if (next == points_.end()) next = points_.begin();
  auto prev = next == points_.begin() ? points_.end() - 1 : next - 1;
  // Unsigned differences: the distances going round the ring.
  const uint32_t to_prev = hash - prev->first;
  const uint32_t to_next = next->first - hash;
  return shards_[to_prev <= to_next ? prev->second : next->second];
}

}  // namespace portrait
