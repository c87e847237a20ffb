// PortraitIndex: everything recommendations and profiles read, in memory:
// the catalog, each user's portrait (feature blocks of effectively granted
// signals), and the shared models built from all users' portraits:
// co-engagement counts, popularity (users engaged per item) and followers
// per followed item. All of it is a deterministic function of the stored
// events, consents and catalog: Load() builds it from the store at start,
// and the hooks keep it current as events, consent changes and catalog
// changes commit. Shared models change only by exact integer differences, so
// dropping a signal's block removes exactly that block's contribution.
//
// Thread-safe: hooks take the writer lock, readers the reader lock. Hooks
// must be called with the user's UserLocks stripe held, after the store
// write, so that per-user order matches the store's.
#ifndef PORTRAIT_SERVICES_PORTRAIT_PORTRAIT_INDEX_H_
#define PORTRAIT_SERVICES_PORTRAIT_PORTRAIT_INDEX_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "base/clock.h"
#include "config/ranking_config.h"
#include "models/co_engagement.h"
#include "portrait/storage/records.pb.h"
#include "portrait/v1/consent.pb.h"
#include "portrait/v1/ingest.pb.h"
#include "portrait/v1/shard.pb.h"
#include "services/consent/consent_observer.h"
#include "services/consent/consent_view.h"
#include "services/consent/policy.h"
#include "services/portrait/catalog_index.h"
#include "services/portrait/change_log.h"
#include "services/portrait/user_portrait.h"
#include "services/storage/store.h"

namespace portrait {

// Dense ids for item labels, for the co-engagement model. Ids depend on
// arrival order, so nothing user-visible may depend on them: orderings
// break ties by label.
class ItemInterner {
 public:
  int32_t Intern(const std::string& label);
  // -1 if unknown.
  int32_t Find(const std::string& label) const;
  const std::string& Label(int32_t id) const { return labels_[id]; }
  // LabelKind(Label(id)), from a compact array.
  v1::ItemKind Kind(int32_t id) const { return kinds_[id]; }

 private:
  absl::flat_hash_map<std::string, int32_t> ids_;
  std::vector<std::string> labels_;
  std::vector<v1::ItemKind> kinds_;
};

// The data readers see, under the index's reader lock.
struct IndexState {
  CatalogIndex catalog;
  absl::flat_hash_map<std::string, UserPortrait> users;
  ItemInterner items;
  CoEngagement co;
  // Each user's current co-engagement set (interned ids, sorted).
  absl::flat_hash_map<std::string, std::vector<int32_t>> co_sets;
  // Label -> users who engaged with it (engagement signals only).
  absl::flat_hash_map<std::string, int32_t> popularity;
  // Followed label -> the users who follow it.
  absl::flat_hash_map<std::string, std::set<std::string>> followers;
  // Followed label -> how many users of the other shards of a cluster
  // follow it (their latest contributions, summed).
  absl::flat_hash_map<std::string, int32_t> peer_followers;
  // Followed label -> the first followers of each other shard (their
  // latest contributions, together).
  absl::flat_hash_map<std::string, std::set<std::string>> peer_first_followers;
  // Users of the other shards of a cluster who set anything about other
  // users (v1::PersonSettings), from their shards' latest contributions.
  absl::flat_hash_map<std::string, v1::PersonSettings> peer_people;
  // Receipts whose revocation is already out of the portraits above but
  // waits for a trained model that excludes it (mirrors kPendingModelPrefix).
  std::set<std::string> model_pending;
  // Changes with every event, consent change and catalog change applied.
  uint64_t generation = 0;

  // nullptr for a user Portrait holds nothing about.
  const UserPortrait* User(absl::string_view user_id) const;
  // The same, or an empty portrait (default consent, no data) for a user
  // Portrait holds nothing about.
  const UserPortrait& UserOrEmpty(absl::string_view user_id) const;
  // Whether `viewer` may be shown posts by `author`: not if the author's
  // account is deleted or the author hides their posts from the viewer
  // (HIDE_MY_POSTS_FROM), read from the author's portrait on this shard or
  // from their shard's contribution.
  bool ShowsPostsOf(absl::string_view author, absl::string_view viewer) const;
  // The first `n` users by id, of this shard's and of the other shards',
  // who follow `label`.
  std::vector<const std::string*> FirstFollowers(const std::string& label,
                                                 size_t n) const;
};

class PortraitIndex : public ConsentObserver {
 public:
  // All pointers must outlive the index.
  PortraitIndex(Store* store, const Clock* clock, const ConsentPolicy* policy,
                const RankingConfig* config);

  // Builds the whole index from the store. Call once, before serving.
  absl::Status Load();

  // Hooks. REQUIRES: the affected users' locks; the store already written.
  // Errors: storage errors when a stated birth year makes a block effective
  // again and its rebuild fails.
  absl::Status OnEventsStored(const std::vector<const v1::Event*>& events);
  // Applies a user's new consent record: drops blocks that stopped being
  // effective, rebuilds from stored events those that became effective
  // (read before the writer lock is taken: readers never wait for the
  // store). Idempotent. Errors: storage errors from a rebuild.
  // `receipt`'s components that are PENDING "trained_model" register it in
  // model_pending, in the same critical section that drops the data.
  absl::Status OnConsentCommitted(const std::string& user_id,
                                  const storage::ConsentRecord& record,
                                  const v1::ErasureReceipt& receipt) override;
  // The user's portrait and the shared models counted from portraits
  // forget inside OnConsentCommitted: DONE on the receipt.
  std::vector<ErasureDuty> Duties() const override;
  // An account deletion also deletes the person's catalog entry and the
  // posts they authored, in the same batch.
  void AddToCommit(const RevocationCommit& commit, WriteBatch* batch) override;
  // Removes receipts a serving model now covers from model_pending.
  void ForgetCovered(const std::vector<std::string>& receipt_ids);
  void OnItemsUpserted(
      const google::protobuf::RepeatedPtrField<v1::Item>& items);
  void OnItemsDeleted(
      const google::protobuf::RepeatedPtrField<v1::ItemRef>& refs);

  // Runs `read(state)` under the reader lock and returns its result.
  template <typename F>
  auto Read(F&& read) const {
    absl::ReaderMutexLock lock(&mu_);
    return read(static_cast<const IndexState&>(state_));
  }

  // The consent view of a user portrait at `now_ms` (minor by stated age from
  // its PROFILE_ATTRIBUTES block).
  ConsentView ViewOf(const UserPortrait& user, int64_t now_ms) const;

  // An item's nearest neighbours: among its 4 x neighbours_per_item
  // neighbours with the highest co-engagement counts (ties by label), the
  // neighbours_per_item most similar (CoEngagement::Similarity; ties by
  // label), most similar first. Cached until any co-engagement count
  // changes; only writers drop the lists, so they stay valid while the
  // caller reads. Of each of `items`, in order; the cached ones are looked
  // up under one lock. REQUIRES: called inside Read.
  struct Neighbour {
    int32_t item;
    v1::ItemKind kind;  // Of the item, kept beside it for scans by kind.
    double similarity;
  };
  using Neighbours = std::vector<Neighbour>;
  std::vector<const Neighbours*> NearestNeighbours(
      const IndexState& state, absl::Span<const int32_t> items) const;

  // Up to `n` labels of `kind` ("post", "brand", "user") with the highest
  // count, descending, ties by label: posts by users engaged, brands and
  // people by followers. Cached until any count changes. REQUIRES: called
  // inside Read.
  using Counted =
      std::vector<std::pair<std::string, int32_t>>;  // (label, count)
  std::shared_ptr<const Counted> TopByCount(const IndexState& state,
                                            absl::string_view kind,
                                            int n) const;

  const RankingConfig& config() const { return *config_; }
  const ConsentPolicy& policy() const { return *policy_; }

  // Sharded clusters (docs/SCALING.md). What this shard's own users add to
  // popularity, co-engagement and follower counts, sorted, with the version of
  // those counts and the versions of the other shards' contributions applied.
  // Built once per (version, versions applied), and at most once per
  // `reuse_ms`: until the last build is that old, it is the answer even if
  // the counts changed since (it carries the version it was built at).
  // Concurrent askers wait for one build.
  std::shared_ptr<const v1::Contribution> OwnContribution(
      int64_t reuse_ms = 0) const ABSL_LOCKS_EXCLUDED(contribution_mu_, mu_);
  // Logs the changes of this shard's own counts and settings from now on, for
  // OwnChangesSince: a shard with peers calls it after Load (a peer's first
  // fetch of a run is whole, so what Load counted needs no log). Without it
  // (one server) nothing is logged.
  void KeepChangeLog() ABSL_LOCKS_EXCLUDED(mu_);
  // The changes of this shard's own counts and settings after its version
  // `since` (of this run), as a delta (Contribution.since): every label,
  // pair and user whose entry changed after it, with its whole current
  // entry. nullopt if `since` is 0, later than the current version, or
  // earlier than what TrimOwnChanges kept, or if no log is kept: then only a
  // whole contribution will do. Costs what changed after `since`.
  std::optional<v1::Contribution> OwnChangesSince(uint64_t since) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Every peer serves this shard's version `served` or a later one: drops
  // the log of the changes up to it, which no delta will need.
  void TrimOwnChanges(uint64_t served) ABSL_LOCKS_EXCLUDED(mu_);
  // Entries in the change log (a key changed twice counted twice).
  size_t OwnChangesLogged() const ABSL_LOCKS_EXCLUDED(mu_);
  // Serves from `contribution`, another shard's, instead of that shard's
  // previous one: adds the difference of every count, so that popularity,
  // co-engagement and follower counts are this shard's users' counts plus
  // the latest of every other shard's. A delta (`since` not 0) updates the
  // entries it lists; FAILED_PRECONDITION, changing nothing, if this index
  // does not serve that shard's version `since` or a later one (then a
  // whole contribution is needed).
  absl::Status ApplyContribution(const v1::Contribution& contribution)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The version OwnContribution would carry now.
  uint64_t OwnVersion() const ABSL_LOCKS_EXCLUDED(mu_);
  // This shard's catalog entries (person, authored posts) of accounts that
  // another shard's last applied contribution says are deleted: what this
  // shard must erase as the account's own shard did.
  std::vector<v1::ItemRef> CatalogOfDeletedPeers() const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Whether another shard's last applied contribution says that `user_id`'s
  // account was deleted.
  bool PeerAccountDeleted(absl::string_view user_id) const
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Another shard's counts as last applied; items by interned id, a pair
  // by (smaller id << 32 | larger id).
  struct PeerCounts {
    uint64_t version = 0;
    absl::flat_hash_map<std::string, int32_t> popularity;
    absl::flat_hash_map<int32_t, int32_t> co_items;
    absl::flat_hash_map<uint64_t, int32_t> co_pairs;
    absl::flat_hash_map<std::string, int32_t> followers;
    absl::flat_hash_map<std::string, std::vector<std::string>> first_followers;
    absl::flat_hash_set<std::string> people;  // Their user ids in peer_people.
  };
  // Each of this shard's own keys that changed in this run, with the
  // own_version_ after the change: a peer serving version v lacks those
  // above v. Kept only once KeepChangeLog was called.
  struct OwnChanges {
    ChangeLog<std::string> popularity, followers, people;
    ChangeLog<int32_t> co_items;
    ChangeLog<uint64_t> co_pairs;  // As PeerCounts'.
  };
  // The stamp of a change made now: every change is followed, or preceded
  // in the same hold of mu_, by an increment of own_version_, so a build
  // after it carries at least this version.
  uint64_t ChangeStamp() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return own_version_ + 1;
  }
  // A delta ApplyContribution.
  absl::Status ApplyDelta(const v1::Contribution& delta)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  struct SharedKeys {
    std::set<std::string> engaged;
    std::set<std::string> followed;
  };
  SharedKeys KeysOf(const UserPortrait& user) const;
  // What the other shards must honour of one of this shard's users' settings
  // about other users; nullopt if the user set nothing of it.
  std::optional<v1::PersonSettings> SettingsOf(const std::string& user_id,
                                               const UserPortrait& user,
                                               int64_t now_ms) const;
  // Applies the difference between `before` and the user's current keys to
  // popularity and followers, and refreshes the user's co-engagement set.
  void SyncShared(const std::string& user_id, const UserPortrait& user,
                  const SharedKeys& before) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SyncCoSet(const std::string& user_id, const UserPortrait& user)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CountsChanged() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A user's stored events by signal, read without the writer lock (the
  // caller holds the user's lock, so they cannot change meanwhile).
  using StoredEvents = absl::flat_hash_map<v1::Signal, std::vector<v1::Event>>;
  // The signals a reconcile of the user under `record` (nullptr: the
  // index's) may rebuild.
  SignalSet RebuildCandidates(const std::string& user_id,
                              const storage::ConsentRecord* record) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Adds the stored events of `signals` not already in *stored.
  absl::Status ReadSignals(const std::string& user_id, SignalSet signals,
                           StoredEvents* stored) const ABSL_LOCKS_EXCLUDED(mu_);
  // Drops the blocks that stopped being effective and rebuilds, from
  // `stored`, those that became effective. A block to rebuild that is not in
  // `stored` stays absent and is added to *missing.
  void Reconcile(const std::string& user_id, UserPortrait& user,
                 const StoredEvents& stored, SignalSet* missing)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reads `missing` and reconciles again, until nothing is missing.
  absl::Status FinishReconcile(const std::string& user_id, SignalSet missing,
                               StoredEvents stored) ABSL_LOCKS_EXCLUDED(mu_);
  v1::Contribution BuildContribution() const ABSL_LOCKS_EXCLUDED(mu_);
  // Computes an item's NearestNeighbours and caches them, unless another
  // reader did meanwhile (then those).
  const Neighbours* ComputeNeighbours(const IndexState& state,
                                      int32_t item) const;
  void AddToUser(const std::string& user_id, UserPortrait& user,
                 const v1::Event& event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadCatalog() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadConsents() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadEvents() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadPendingModels() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void LoadUser(const std::string& user_id,
                const std::vector<v1::Event>& events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  Store* const store_;
  const Clock* const clock_;
  const ConsentPolicy* const policy_;
  const RankingConfig* const config_;

  // Held for a whole OwnContribution, so that one build serves everyone.
  mutable absl::Mutex contribution_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable std::shared_ptr<const v1::Contribution> contribution_
      ABSL_GUARDED_BY(contribution_mu_);
  mutable int64_t contribution_built_ms_ ABSL_GUARDED_BY(contribution_mu_) = 0;

  mutable absl::Mutex mu_;
  IndexState state_ ABSL_GUARDED_BY(mu_);
  // AddToUser changed a popularity or follower count in this batch.
  bool counts_changed_ ABSL_GUARDED_BY(mu_) = false;
  // Changes with this shard's own popularity, co-engagement and follower
  // counts.
  uint64_t own_version_ ABSL_GUARDED_BY(mu_) = 0;
  // By shard name.
  absl::flat_hash_map<std::string, PeerCounts> peers_ ABSL_GUARDED_BY(mu_);
  OwnChanges changes_ ABSL_GUARDED_BY(mu_);
  bool keep_changes_ ABSL_GUARDED_BY(mu_) = false;
  // Every change stamped up to this was trimmed from changes_.
  uint64_t changes_floor_ ABSL_GUARDED_BY(mu_) = 0;

  // Filled by readers, emptied by writers (which hold mu_ exclusively).
  mutable absl::Mutex cache_mu_ ABSL_ACQUIRED_AFTER(mu_);
  mutable absl::flat_hash_map<int32_t, std::unique_ptr<const Neighbours>>
      neighbour_cache_ ABSL_GUARDED_BY(cache_mu_);
  // By (kind prefix, n).
  mutable absl::flat_hash_map<std::pair<std::string, int>,
                              std::shared_ptr<const Counted>>
      top_cache_ ABSL_GUARDED_BY(cache_mu_);
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_PORTRAIT_PORTRAIT_INDEX_H_
