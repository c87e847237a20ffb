// UserPortrait: one user's portrait in memory: one feature block per
// effectively granted signal, each built only from that signal's events, and
// the engagement summary shared models read. A block is dropped whole when
// its signal stops being effective, and rebuilt from the stored events when
// it becomes effective again.
//
// Every block is an order-independent aggregate of its events (see
// models/affinity.h), so the same events give the same portrait in any order.
// Not thread-safe; PortraitIndex serialises access.
#ifndef PORTRAIT_SERVICES_PORTRAIT_USER_PORTRAIT_H_
#define PORTRAIT_SERVICES_PORTRAIT_USER_PORTRAIT_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "config/ranking_config.h"
#include "models/affinity.h"
#include "portrait/storage/records.pb.h"
#include "portrait/v1/consent.pb.h"
#include "portrait/v1/ingest.pb.h"
#include "services/consent/signal_set.h"

namespace portrait {

// "post:ID", "brand:ID", "user:ID".
std::string ItemLabel(v1::ItemKind kind, absl::string_view id);
std::string ItemLabel(const v1::ItemRef& ref);
// The PUSH_FEEDBACK feature of a dismissed push of the item: "dismissed:"
// and its label.
std::string DismissedLabel(absl::string_view item_label);
// Splits a label into kind word and id; false if it is not one.
bool SplitLabel(absl::string_view label, absl::string_view* kind,
                absl::string_view* id);
// The kind of an item label; ITEM_KIND_UNSPECIFIED if it is not one.
v1::ItemKind LabelKind(absl::string_view label);
// The item an item label names (the inverse of ItemLabel).
v1::ItemRef LabelRef(absl::string_view label);

// The newest profile self-description, by (occurred_at, event id).
struct ProfileStatement {
  int64_t at_ms = std::numeric_limits<int64_t>::min();
  std::string event_id;
  v1::ProfileAttributesPayload attributes;
};

struct SignalBlock {
  int64_t events = 0;
  // Label -> aggregate: item labels for item signals; "term:…" (SEARCH),
  // "cell:…" (LOCATION), "contact:…" (CONTACTS, hex of the hash);
  // PUSH_FEEDBACK: the item label if opened, "dismissed:" and the item
  // label if dismissed.
  absl::flat_hash_map<std::string, Affinity> features;
  // PROFILE_ATTRIBUTES only: the newest statement, and the newest one that
  // states a birth year (the rule ReadMinorByStatedAge follows too).
  ProfileStatement latest;
  ProfileStatement latest_with_birth_year;
};

// An item the user engaged with through engagement signals.
struct EngagedItem {
  int64_t last_ms = std::numeric_limits<int64_t>::min();
  SignalSet signals;
};

// The items of one kind among a user's most recently engaged ones, each
// with its weight as a share of their total (UserPortrait::RecentShares).
struct RecentShares {
  // The newest engagement of the portrait: the shares are those at any
  // time not before it (decay scales every weight alike).
  int64_t reference_ms = std::numeric_limits<int64_t>::min();
  // Newest first; the pointers are valid until the portrait changes.
  std::vector<std::pair<const std::string*, double>> shares;
};

class UserPortrait {
 public:
  // Adds an event of an effective signal to its block.
  void Add(const v1::Event& event, const RankingConfig& config);
  // Forgets a signal's block.
  void Drop(v1::Signal signal, const RankingConfig& config);

  const SignalBlock* Block(v1::Signal signal) const;
  const std::map<int, SignalBlock>& blocks() const { return blocks_; }
  // Posts and brands engaged with, by label.
  const absl::flat_hash_map<std::string, EngagedItem>& engaged() const {
    return engaged_;
  }
  // The user's affinity for an engaged item: over engagement signals, the
  // signal's weight times the block's decayed weight for it.
  double EngagedWeight(const std::string& label, const RankingConfig& config,
                       int64_t now_ms) const;
  // Calls visit(signal, affinity) for each engagement signal block holding
  // the engaged item `label`, in signal order.
  template <typename Visit>
  void ForEachEngagement(const std::string& label, Visit&& visit) const {
    const auto engaged = engaged_.find(label);
    if (engaged == engaged_.end()) return;
    // Only the blocks of the signals the item was engaged through hold it.
    engaged->second.signals.ForEach([&](v1::Signal signal) {
      const auto block = blocks_.find(signal);
      if (block == blocks_.end()) return;
      const auto it = block->second.features.find(label);
      if (it != block->second.features.end()) visit(signal, it->second);
    });
  }
  // The `k` most recently engaged labels, newest first, ties by label.
  // The pointers are valid until the portrait changes.
  std::vector<const std::string*> RecentEngaged(int k) const;
  // Of the `k` most recently engaged items, those whose label starts with
  // `prefix`, with EngagedWeight(label, config, at_ms) over the sum of it
  // for all of them; weights that are not positive left out. Computed
  // afresh; reference_ms is `at_ms`.
  RecentShares SharesAt(absl::string_view prefix, int k,
                        const RankingConfig& config, int64_t at_ms) const;
  // SharesAt the newest engagement (the shares at any later time). Computed
  // by the first reader after each change of the portrait, then shared;
  // safe to call from concurrent readers. The result is valid until the
  // portrait changes.
  const RecentShares& Shares(absl::string_view prefix, int k,
                             const RankingConfig& config) const;
  // The birth year of the newest statement that states one; 0 if none.
  int32_t StatedBirthYear() const;
  // Whether the user's consent record holds `relationship` to `target`.
  bool HasRelationship(v1::Relationship relationship,
                       absl::string_view target) const;
  // A number that no other state of any portrait in this process had: it
  // changes with every change to the blocks (a memo keyed by it is never
  // served for other data).
  uint64_t revision() const { return revision_; }

  // The user's stored consent record (empty for a user who has none).
  storage::ConsentRecord consent;

  // The signals whose stored events may be missing from their blocks
  // (it was not effective when events were stored or loaded, or its block
  // was dropped): the block must be rebuilt from storage when the signal
  // becomes effective. Kept by PortraitIndex.
  SignalSet needs_rebuild;

 private:
  void Engage(const std::string& label, int64_t at_ms, v1::Signal signal);
  // Forgets what Shares computed and takes a new revision; called on every
  // change.
  void Changed();
  static uint64_t NewRevision();

  // Shares' results by (prefix, k): a few entries at most (one per caller).
  struct SharesMemo {
    absl::Mutex mu;
    std::vector<std::pair<std::pair<std::string, int>,
                          std::unique_ptr<const RecentShares>>>
        entries ABSL_GUARDED_BY(mu);
  };

  std::map<int, SignalBlock> blocks_;
  absl::flat_hash_map<std::string, EngagedItem> engaged_;
  // (-last_ms, label): the most recent first.
  absl::btree_set<std::pair<int64_t, std::string>> by_recency_;
  uint64_t revision_ = NewRevision();
  // A pointer so that the portrait stays movable.
  std::unique_ptr<SharesMemo> shares_memo_ = std::make_unique<SharesMemo>();
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_PORTRAIT_USER_PORTRAIT_H_
