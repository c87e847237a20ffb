#include "services/server/peer_circles.h"

#include <chrono>
#include <utility>

#include "base/json_log.h"

namespace portrait {

PeerCircleFetcher::PeerCircleFetcher(
    std::string own_name, const std::vector<Peer>& peers,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    absl::Duration timeout)
    : own_name_(std::move(own_name)), timeout_(timeout) {
  for (const Peer& peer : peers) {
    links_.push_back({peer, PeerStub(peer, credentials)});
  }
  absl::MutexLock lock(&mu_);
  failing_.assign(links_.size(), false);
}

PeerCircles PeerCircleFetcher::Fetch(const std::string& viewer,
                                     const std::vector<std::string>& friend_ids,
                                     v1::CirclePart part,
                                     int64_t now_ms) const {
  v1::GetCirclesRequest request;
  request.set_shard(own_name_);
  request.set_viewer_user_id(viewer);
  for (const std::string& id : friend_ids) request.add_user_ids(id);
  request.set_now_ms(now_ms);
  request.add_parts(part);
  // Every shard at once; each answers for the friends it holds.
  struct Call {
    grpc::ClientContext context;
    v1::GetCirclesResponse response;
    grpc::Status status;
  };
  std::vector<Call> calls(links_.size());
  absl::Mutex mu;
  size_t pending = links_.size();
  const auto deadline =
      std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout_);
  for (size_t i = 0; i < links_.size(); ++i) {
    Call& call = calls[i];
    call.context.set_deadline(deadline);
    links_[i].stub->async()->GetCircles(
        &call.context, &request, &call.response,
        [&call, &mu, &pending](grpc::Status status) {
          absl::MutexLock lock(&mu);
          call.status = std::move(status);
          --pending;
        });
  }
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](size_t* left) { return *left == 0; }, &pending));
  }
  PeerCircles circles;
  for (size_t i = 0; i < calls.size(); ++i) {
    Note(i, calls[i].status);
    if (!calls[i].status.ok()) continue;
    for (v1::Circle& circle : *calls[i].response.mutable_circles()) {
      std::string id = circle.user_id();
      circles.try_emplace(std::move(id), std::move(circle));
    }
  }
  return circles;
}

void PeerCircleFetcher::Note(size_t link, const grpc::Status& status) const {
  absl::MutexLock lock(&mu_);
  if (status.ok() == !failing_[link]) return;
  failing_[link] = !status.ok();
  if (status.ok()) {
    JsonLog("peer_circles_answered")
        .Add("peer", links_[link].peer.name)
        .Write();
  } else {
    JsonLog("peer_circles_failed")
        .Add("peer", links_[link].peer.name)
        .Add("address", links_[link].peer.address)
        .Add("code", static_cast<int>(status.error_code()))
        .Add("error", status.error_message())
        .Write();
  }
}

}  // namespace portrait
