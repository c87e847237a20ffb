#include "services/cluster/peer_erasure.h"

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "portrait/storage/records.pb.h"
#include "services/consent/consent_store.h"
#include "services/consent/erasure_components.h"
#include "services/storage/keys.h"

namespace portrait {
namespace {

// As long as for the trained model: peers fetch every second by default.
constexpr int64_t kDeadlineMs = 60'000;

std::string NewInstance() {
  std::random_device random;
  return absl::StrCat(absl::Hex(random(), absl::kZeroPad8),
                      absl::Hex(random(), absl::kZeroPad8));
}

}  // namespace

PeerErasure::PeerErasure(Store* store, const Clock* clock, UserLocks* locks,
                         const PortraitIndex* index,
                         std::vector<std::string> peers)
    : store_(store),
      clock_(clock),
      locks_(locks),
      index_(index),
      peers_(std::move(peers)),
      instance_(NewInstance()) {}

std::vector<ErasureDuty> PeerErasure::Duties() const {
  if (peers_.empty()) return {};
  return {{erasure::kPeerShards, kDeadlineMs}};
}

void PeerErasure::AddToCommit(const RevocationCommit& commit,
                              WriteBatch* batch) {
  if (peers_.empty() || commit.revocations.empty()) return;
  storage::PendingPeers pending;
  pending.set_user_id(commit.user_id);
  pending.set_receipt_sequence(commit.receipt_sequence);
  batch->Put(Column::kMeta, PendingPeersKey(commit.receipt_id),
             pending.SerializeAsString());
}

absl::Status PeerErasure::OnConsentCommitted(
    const std::string& user_id, const storage::ConsentRecord& record,
    const v1::ErasureReceipt& receipt) {
  for (const v1::ErasureComponent& c : receipt.components()) {
    if (c.component() != erasure::kPeerShards || c.state() != v1::PENDING)
      continue;
    std::string user;
    int64_t sequence = 0;
    PORTRAIT_RETURN_IF_ERROR(
        ParseReceiptId(receipt.receipt_id(), &user, &sequence));
    // The index observer ran first: its counts leave the revocation out.
    const uint64_t version = index_->OwnVersion();
    absl::MutexLock lock(&mu_);
    pending_[receipt.receipt_id()] = {user, sequence, version};
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status PeerErasure::Load() {
  const std::string begin(kPendingPeersPrefix);
  const uint64_t version = index_->OwnVersion();
  absl::MutexLock lock(&mu_);
  absl::Status parsed;
  PORTRAIT_RETURN_IF_ERROR(
      store_->Scan(Column::kMeta, begin, PrefixEnd(begin),
                   [&](absl::string_view key, absl::string_view value) {
                     storage::PendingPeers record;
                     if (!record.ParseFromString(std::string(value))) {
                       parsed = absl::DataLossError(absl::StrCat(
                           "meta ", key, ": not a PendingPeers record"));
                       return false;
                     }
                     mu_.AssertHeld();
                     pending_[std::string(key.substr(begin.size()))] = {
                         record.user_id(), record.receipt_sequence(), version};
                     return true;
                   }));
  return parsed;
}

absl::Status PeerErasure::Reported(const std::string& peer,
                                   const std::string& instance,
                                   uint64_t version) {
  if (instance != instance_ ||
      std::find(peers_.begin(), peers_.end(), peer) == peers_.end()) {
    return absl::OkStatus();  // Another run's version, or no peer of ours.
  }
  std::vector<std::pair<std::string, Pending>> covered;
  {
    absl::MutexLock lock(&mu_);
    uint64_t& served = served_[peer];
    served = std::max(served, version);
    const uint64_t least = LeastServed();
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.version <= least) {
        covered.emplace_back(it->first, std::move(it->second));
        pending_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  absl::Status status;
  for (auto& [receipt_id, pending] : covered) {
    if (status.ok()) {
      UserLocks::Guard guard = locks_->Lock(pending.user_id);
      status = CompleteReceiptComponent(
          store_, pending.user_id, pending.sequence, erasure::kPeerShards,
          PendingPeersKey(receipt_id), clock_->NowMillis());
      if (status.ok()) continue;
    }
    // Not completed: the next report tries again.
    absl::MutexLock lock(&mu_);
    pending_.emplace(receipt_id, std::move(pending));
  }
  return status;
}

uint64_t PeerErasure::LeastServed() const {
  uint64_t least = UINT64_MAX;
  for (const std::string& p : peers_) {
    const auto it = served_.find(p);
    least = std::min(least, it == served_.end() ? 0 : it->second);
  }
  return peers_.empty() ? 0 : least;
}

uint64_t PeerErasure::ServedByAll() const {
  absl::MutexLock lock(&mu_);
  return LeastServed();
}

}  // namespace portrait
