#include "services/server/peer_sync.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "base/json_log.h"

namespace portrait {

PeerSync::PeerSync(std::string own_name, const std::vector<Peer>& peers,
                   const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                   PortraitIndex* index, absl::Duration interval,
                   std::function<absl::Status()> applied)
    : own_name_(std::move(own_name)),
      index_(index),
      applied_(std::move(applied)),
      deadline_(std::max(interval, absl::Seconds(60))) {
  for (const Peer& peer : peers) {
    links_.push_back({peer, PeerStub(peer, credentials)});
  }
  {
    absl::MutexLock lock(&mu_);
    fetched_at_.assign(links_.size(), absl::Now());
  }
  worker_ = std::make_unique<BackgroundWorker>(
      [this] {
        FetchAll();
        return absl::InfiniteDuration();
      },
      interval);
  worker_->Notify();
}

PeerSync::~PeerSync() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (fetching_ != nullptr) fetching_->TryCancel();
  }
  worker_.reset();
}

std::vector<std::pair<std::string, double>> PeerSync::SecondsSinceFetched()
    const {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  std::vector<std::pair<std::string, double>> ages;
  for (size_t i = 0; i < links_.size(); ++i) {
    ages.emplace_back(links_[i].peer.name,
                      absl::ToDoubleSeconds(now - fetched_at_[i]));
  }
  return ages;
}

void PeerSync::FetchAll() {
  for (size_t i = 0; i < links_.size(); ++i) {
    Link& link = links_[i];
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoMilliseconds(deadline_));
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      fetching_ = &context;
    }
    v1::GetContributionRequest request;
    request.set_shard(own_name_);
    request.set_applied_instance(link.applied_instance);
    request.set_applied_version(link.applied_version);
    v1::Contribution contribution;
    const grpc::Status status =
        link.stub->GetContribution(&context, request, &contribution);
    {
      absl::MutexLock lock(&mu_);
      fetching_ = nullptr;
      if (stopping_) return;
    }
    if (status.ok() && contribution.shard() != link.peer.name) {
      // A misconfigured address: never count one shard's users twice.
      if (!link.failing) {
        JsonLog("peer_misnamed")
            .Add("peer", link.peer.name)
            .Add("address", link.peer.address)
            .Add("answered_as", contribution.shard())
            .Write();
      }
      link.failing = true;
      continue;
    }
    if (!status.ok()) {
      if (!link.failing) {
        JsonLog("peer_unreachable")
            .Add("peer", link.peer.name)
            .Add("address", link.peer.address)
            .Add("code", static_cast<int>(status.error_code()))
            .Add("error", status.error_message())
            .Write();
      }
      link.failing = true;
      continue;
    }
    if (link.failing) {
      JsonLog("peer_reachable").Add("peer", link.peer.name).Write();
      link.failing = false;
    }
    if (!contribution.unchanged()) {
      if (absl::Status done = index_->ApplyContribution(contribution);
          !done.ok()) {
        JsonLog("peer_apply_failed")
            .Add("peer", link.peer.name)
            .Add("code", static_cast<int>(done.code()))
            .Add("error", done.message())
            .Write();
        link.applied_version = 0;  // The next fetch is whole.
        continue;
      }
      if (applied_ != nullptr) {
        if (absl::Status done = applied_(); !done.ok()) {
          JsonLog("peer_apply_failed")
              .Add("peer", link.peer.name)
              .Add("code", static_cast<int>(done.code()))
              .Add("error", done.message())
              .Write();
          continue;  // Reports the previous version; fetched again whole.
        }
      }
    }
    link.applied_instance = contribution.instance();
    link.applied_version = contribution.version();
    absl::MutexLock lock(&mu_);
    fetched_at_[i] = absl::Now();
  }
}

}  // namespace portrait
