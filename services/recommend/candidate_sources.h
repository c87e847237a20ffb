// The candidate sources of the recommender: each adds raw scores (and the
// requesting user's signals behind them) to a candidate table. Every source
// visits its inputs in a fixed order (labels sorted or ranked with label
// tie-breaks), so the same portraits give the same scores bit for bit.
//
// All functions run inside PortraitIndex::Read.
#ifndef PORTRAIT_SERVICES_RECOMMEND_CANDIDATE_SOURCES_H_
#define PORTRAIT_SERVICES_RECOMMEND_CANDIDATE_SOURCES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "models/blend.h"
#include "portrait/v1/recommend.pb.h"
#include "portrait/v1/shard.pb.h"
#include "services/consent/signal_set.h"
#include "services/model/model_trainer.h"
#include "services/portrait/portrait_index.h"

namespace portrait {

// The candidates of one request, by label. Reusable: Clear() keeps the
// candidate storage, so a thread serving many requests does not allocate
// and free a large block each time (glibc consolidates its heap on every
// free of 64 KiB or more). Not thread-safe.
class CandidateTable {
 public:
  CandidateTable() = default;
  // The index refers to candidates_ by address.
  CandidateTable(const CandidateTable&) = delete;
  CandidateTable& operator=(const CandidateTable&) = delete;

  // The candidate for `label`, created empty on first use.
  Candidate& operator[](const std::string& label);
  void Clear();
  std::vector<Candidate>& candidates() { return candidates_; }

 private:
  // The index holds positions in candidates_ and finds them by label, so
  // that each label is copied once, into its candidate.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(absl::string_view label) const {
      return absl::Hash<absl::string_view>()(label);
    }
    size_t operator()(int32_t i) const { return (*this)((*candidates)[i].key); }
    const std::vector<Candidate>* candidates;
  };
  struct KeyEq {
    using is_transparent = void;
    absl::string_view Key(absl::string_view label) const { return label; }
    absl::string_view Key(int32_t i) const { return (*candidates)[i].key; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return Key(a) == Key(b);
    }
    const std::vector<Candidate>* candidates;
  };

  std::vector<Candidate> candidates_;
  absl::flat_hash_set<int32_t, KeyHash, KeyEq> index_{0, KeyHash{&candidates_},
                                                      KeyEq{&candidates_}};
};

// The circles of the user's friends that other shards of a cluster hold,
// by user id: only those the user may see (ShardService.GetCircles).
using PeerCircles = absl::flat_hash_map<std::string, v1::Circle>;

// What every source reads.
struct SourceContext {
  const PortraitIndex& index;
  const IndexState& state;
  const UserPortrait& user;  // May be an empty portrait.
  const std::string& user_id;
  int64_t now_ms;
  // Current position, if the request gave one and LOCATION is effective.
  std::optional<std::string> context_cell;
  // The trained model in serving; nullptr if none.
  const ServingModel* model = nullptr;
  // In a cluster, the circles of friends held by other shards; else null.
  const PeerCircles* peer_circles = nullptr;
};

// Adds `raw` from `source` to the candidate `label`, with `signals`.
void AddRaw(CandidateTable* table, const std::string& label,
            v1::ReasonSource source, double raw, SignalSet signals);

// Posts or brands (`kind`) engaged with together with the user's recent
// items.
void AddCoEngagement(const SourceContext& ctx, v1::ItemKind kind,
                     CandidateTable* table);
// The trained model: the nearest items (by factor cosine) of the user's
// most recent items, each scored by the user's factors folded in from their
// recent items.
void AddEmbedding(const SourceContext& ctx, v1::ItemKind kind,
                  CandidateTable* table);
// Posts sharing tags with the user's engaged posts and search terms.
void AddSimilarTastePosts(const SourceContext& ctx, CandidateTable* table);
// Brands of the posts the user engaged with.
void AddSimilarTasteBrands(const SourceContext& ctx, CandidateTable* table);
// Fresh posts of followed brands and people.
void AddFollowedPosts(const SourceContext& ctx, CandidateTable* table);
// What the user's friends engaged with (posts) or follow (brands), where
// they share their circle with the user.
void AddFriendsEngaged(const SourceContext& ctx, absl::string_view kind,
                       CandidateTable* table);
// Posts in the user's frequent geo cells and current cell (LOCATION).
void AddNearbyPosts(const SourceContext& ctx, CandidateTable* table);
// The most engaged-with posts, or most followed brands / people.
void AddPopular(const SourceContext& ctx, absl::string_view kind,
                CandidateTable* table);
// The newest posts.
void AddFreshPosts(const SourceContext& ctx, CandidateTable* table);
// PEOPLE: friends of friends, people who follow what the user follows,
// people in the user's uploaded contacts.
void AddPeopleSources(const SourceContext& ctx, CandidateTable* table);

// A friend whose circle the user may see: held by this shard (`portrait`)
// or by another shard of a cluster (`circle`).
struct VisibleFriend {
  const UserPortrait* portrait = nullptr;
  const v1::Circle* circle = nullptr;
};

// The friends' sources read at most this many friends' circles.
inline constexpr int kMaxVisibleFriends = 50;

// The user's friends whose circle the user may see, in label order, at most
// kMaxVisibleFriends: those this shard holds, and those in
// ctx.peer_circles.
std::vector<VisibleFriend> VisibleFriends(const SourceContext& ctx);

// At most this many of a user's friends are asked of other shards.
inline constexpr int kMaxPeerCircles = 1000;

// The ids of the user's friends, in label order, that this shard does not
// hold (another shard of a cluster may) and whose content the user did not
// refuse (DONT_SHARE_CONTENT_OF); at most kMaxPeerCircles.
std::vector<std::string> FriendsHeldElsewhere(const IndexState& state,
                                              const UserPortrait& user);

// How a shard of a cluster reads the circles of friends held by the other
// shards (ShardService.GetCircles).
class CircleFetcher {
 public:
  virtual ~CircleFetcher() = default;
  // The circles of `friend_ids` that their shards let `viewer` see, as of
  // `now_ms`, with the `part` the answer reads. A shard that fails or does
  // not answer in time adds none. Thread-safe.
  virtual PeerCircles Fetch(const std::string& viewer,
                            const std::vector<std::string>& friend_ids,
                            v1::CirclePart part, int64_t now_ms) const = 0;
};

// The circles for ctx.peer_circles of an answer on `surface`: the user's
// FriendsHeldElsewhere (read under the index's reader lock), fetched with
// what the surface reads of them. Empty if `fetcher` is null (not a
// cluster), `purpose` is not effective for the user (the answer is not
// personal), or all the user's friends are here. Call outside
// PortraitIndex::Read: it waits for the other shards.
PeerCircles FetchPeerCircles(const CircleFetcher* fetcher,
                             const PortraitIndex& index,
                             const std::string& user_id, v1::Purpose purpose,
                             v1::Surface surface, int64_t now_ms);

// ShardService.GetCircles: the circles of the requested users this shard
// holds that the viewer may see, as VisibleFriends and the friends' sources
// read them on one server; the first kMaxVisibleFriends of them in request
// order (the asker reads no more). Errors: INVALID_ARGUMENT naming the
// field.
absl::StatusOr<v1::GetCirclesResponse> AnswerCircles(
    const PortraitIndex& index, const v1::GetCirclesRequest& request);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_RECOMMEND_CANDIDATE_SOURCES_H_
