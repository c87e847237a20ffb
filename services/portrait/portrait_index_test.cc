// PortraitIndex: consent changes dropping and rebuilding blocks, and its
// cached rankings.
#include "services/portrait/portrait_index.h"

#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "base/clock.h"
#include "config/ranking_config.h"
#include "gtest/gtest.h"
#include "services/consent/policy.h"
#include "services/consent/shipped_policy.h"
#include "services/portrait/test_events.h"
#include "services/storage/keys.h"
#include "services/storage/memory_store.h"

namespace portrait {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;

storage::ConsentRecord WithLikes(v1::ConsentState state) {
  storage::ConsentRecord record;
  (*record.mutable_signals())[v1::LIKE].set_state(state);
  return record;
}

// Stores `event` where the ingestor would, then tells the index.
void Store(MemoryStore& store, PortraitIndex& index, const v1::Event& event) {
  WriteBatch batch;
  batch.Put(Column::kEvents,
            EventKey(event.user_id(), event.signal(), event.occurred_at_ms(),
                     event.event_id()),
            event.SerializeAsString());
  ASSERT_TRUE(store.Write(batch, /*sync=*/true).ok());
  ASSERT_TRUE(index.OnEventsStored({&event}).ok());
}

bool HasLikes(const PortraitIndex& index, const std::string& user) {
  return index.Read([&](const IndexState& state) {
    const UserPortrait* portrait = state.User(user);
    return portrait != nullptr && portrait->Block(v1::LIKE) != nullptr;
  });
}

// A store whose event scans wait until released, announcing that they
// started.
class BlockingScanStore : public MemoryStore {
 public:
  absl::Status Scan(Column column, absl::string_view begin,
                    absl::string_view end, const ScanVisitor& visit) override {
    if (column == Column::kEvents && block) {
      started.Notify();
      release.WaitForNotification();
    }
    return MemoryStore::Scan(column, begin, end, visit);
  }
  bool block = false;
  absl::Notification started;
  absl::Notification release;
};

class PortraitIndexTest : public ::testing::Test {
 protected:
  BlockingScanStore store_;
  FakeClock clock_{kNow};
  const ConsentPolicy policy_ = *ConsentPolicy::FromText(kShippedConsentPolicy);
  PortraitIndex index_{&store_, &clock_, &policy_, &RankingConfig::Shipped()};
};

TEST_F(PortraitIndexTest, FreezeDropsABlockAndGrantRebuildsItFromTheStore) {
  Store(store_, index_, PostLike("e1", "u", 1, kNow - 2000));
  Store(store_, index_, PostLike("e2", "u", 2, kNow - 1000));
  ASSERT_TRUE(HasLikes(index_, "u"));

  ASSERT_TRUE(index_.OnConsentCommitted("u", WithLikes(v1::FROZEN), {}).ok());
  EXPECT_FALSE(HasLikes(index_, "u"));
  EXPECT_EQ(
      index_.Read([](const IndexState& s) { return s.popularity.size(); }), 0u);

  ASSERT_TRUE(index_.OnConsentCommitted("u", WithLikes(v1::GRANTED), {}).ok());
  EXPECT_TRUE(HasLikes(index_, "u"));
  EXPECT_EQ(
      index_.Read([](const IndexState& s) { return s.popularity.size(); }), 2u);
}

TEST_F(PortraitIndexTest, ReadersDoNotWaitForTheStoreDuringARebuild) {
  Store(store_, index_, PostLike("e1", "u", 1, kNow - 1000));
  ASSERT_TRUE(index_.OnConsentCommitted("u", WithLikes(v1::FROZEN), {}).ok());

  store_.block = true;
  absl::Status rebuilt;
  std::thread grant([&] {
    rebuilt = index_.OnConsentCommitted("u", WithLikes(v1::GRANTED), {});
  });
  store_.started.WaitForNotification();
  // The rebuild is reading the store: a reader gets the index meanwhile.
  absl::Notification read;
  std::thread reader([&] {
    EXPECT_FALSE(HasLikes(index_, "u"));
    read.Notify();
  });
  EXPECT_TRUE(read.WaitForNotificationWithTimeout(absl::Seconds(10)));
  store_.release.Notify();
  reader.join();
  grant.join();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt;
  EXPECT_TRUE(HasLikes(index_, "u"));
}

TEST_F(PortraitIndexTest, TopByCountIsCachedPerLength) {
  // Post pN is liked by N users.
  int id = 0;
  for (int post = 1; post <= 4; ++post) {
    for (int user = 0; user < post; ++user) {
      const v1::Event event = PostLike(
          absl::StrCat("e", id++), absl::StrCat("u", user), post, kNow - 1000);
      ASSERT_TRUE(index_.OnEventsStored({&event}).ok());
    }
  }
  index_.Read([&](const IndexState& state) {
    const auto one = index_.TopByCount(state, "post", 1);
    ASSERT_EQ(one->size(), 1u);
    EXPECT_EQ((*one)[0], std::make_pair(std::string("post:p4"), 4));
    const auto three = index_.TopByCount(state, "post", 3);
    ASSERT_EQ(three->size(), 3u);
    EXPECT_EQ((*three)[2], std::make_pair(std::string("post:p2"), 2));
    EXPECT_EQ(index_.TopByCount(state, "post", 1)->size(), 1u);
  });
}

// Popularity, followers and co-engagement of an index, by label: what
// Recommend reads.
struct SharedCounts {
  std::vector<std::pair<std::string, int32_t>> top;
  std::vector<std::pair<std::string, int32_t>> most_followed;
  std::map<std::string, std::vector<std::pair<std::string, double>>> nearest;
  bool operator==(const SharedCounts& other) const {
    return top == other.top && most_followed == other.most_followed &&
           nearest == other.nearest;
  }
};

SharedCounts CountsOf(const PortraitIndex& index, int posts) {
  return index.Read([&](const IndexState& state) {
    SharedCounts counts;
    counts.top = *index.TopByCount(state, "post", 1000);
    counts.most_followed = *index.TopByCount(state, "brand", 1000);
    for (int p = 0; p < posts; ++p) {
      const std::string label = absl::StrCat("post:p", p);
      const int32_t id = state.items.Find(label);
      if (id < 0) continue;
      for (const PortraitIndex::Neighbour& neighbour :
           *index.NearestNeighbours(state, {id})[0]) {
        EXPECT_EQ(neighbour.kind, state.items.Kind(neighbour.item));
        counts.nearest[label].emplace_back(state.items.Label(neighbour.item),
                                           neighbour.similarity);
      }
    }
    return counts;
  });
}

// Shards "s0" and "s1" apply each other's contribution; returns s1's.
v1::Contribution Exchange(PortraitIndex& shard0, PortraitIndex& shard1) {
  v1::Contribution from0 = *shard0.OwnContribution();
  from0.set_shard("s0");
  v1::Contribution from1 = *shard1.OwnContribution();
  from1.set_shard("s1");
  EXPECT_TRUE(shard0.ApplyContribution(from1).ok());
  EXPECT_TRUE(shard1.ApplyContribution(from0).ok());
  return from1;
}

// Two shards, each applying the other's contribution, count exactly what
// one index of every user counts (popularity, followers, co-engagement),
// before and after a revocation on one of them; applying the same
// contribution again changes nothing.
TEST(ShardContributionTest, ShardsSummingEachOthersCountsEqualOneIndex) {
  const ConsentPolicy policy = *ConsentPolicy::FromText(kShippedConsentPolicy);
  FakeClock clock(kNow);
  MemoryStore whole_store, store0, store1;
  PortraitIndex whole(&whole_store, &clock, &policy, &RankingConfig::Shipped());
  PortraitIndex shard0(&store0, &clock, &policy, &RankingConfig::Shipped());
  PortraitIndex shard1(&store1, &clock, &policy, &RankingConfig::Shipped());
  constexpr int kPosts = 15;
  std::mt19937 rng(5);
  for (int u = 0; u < 12; ++u) {
    const std::string user = absl::StrCat("u", u);
    MemoryStore& store = u % 2 == 0 ? store0 : store1;
    PortraitIndex& shard = u % 2 == 0 ? shard0 : shard1;
    for (int e = 0; e < 6; ++e) {
      const v1::Event like =
          PostLike(absl::StrCat(user, "-", e), user,
                   static_cast<int>(rng() % kPosts), kNow - 1000 * (e + 1));
      Store(whole_store, whole, like);
      Store(store, shard, like);
    }
    const v1::Event follow =
        BrandFollow(absl::StrCat(user, "-follow"), user,
                    static_cast<int>(rng() % 3), kNow - 500);
    Store(whole_store, whole, follow);
    Store(store, shard, follow);
  }
  const auto exchange = [&] { Exchange(shard0, shard1); };
  ASSERT_FALSE(CountsOf(shard0, kPosts) == CountsOf(whole, kPosts));
  exchange();
  EXPECT_TRUE(CountsOf(shard0, kPosts) == CountsOf(whole, kPosts));
  EXPECT_TRUE(CountsOf(shard1, kPosts) == CountsOf(whole, kPosts));
  // What a shard contributes is its own users' counts only: what the same
  // shard contributes when it knows no peer.
  {
    PortraitIndex alone(&store0, &clock, &policy, &RankingConfig::Shipped());
    ASSERT_TRUE(alone.Load().ok());
    v1::Contribution expected = *alone.OwnContribution();
    v1::Contribution own = *shard0.OwnContribution();
    ASSERT_GT(expected.co_pairs_size(), 0);
    ASSERT_GT(expected.followers_size(), 0);
    for (v1::Contribution* c : {&expected, &own}) {
      c->clear_version();
      c->clear_applied();
    }
    EXPECT_EQ(own.SerializeAsString(), expected.SerializeAsString());
  }
  exchange();
  EXPECT_TRUE(CountsOf(shard0, kPosts) == CountsOf(whole, kPosts));

  // u1 (on shard 1) freezes LIKE: shard 0 learns it at the next exchange.
  ASSERT_TRUE(whole.OnConsentCommitted("u1", WithLikes(v1::FROZEN), {}).ok());
  ASSERT_TRUE(shard1.OnConsentCommitted("u1", WithLikes(v1::FROZEN), {}).ok());
  EXPECT_TRUE(CountsOf(shard1, kPosts) == CountsOf(whole, kPosts));
  EXPECT_FALSE(CountsOf(shard0, kPosts) == CountsOf(whole, kPosts));
  exchange();
  EXPECT_TRUE(CountsOf(shard0, kPosts) == CountsOf(whole, kPosts));
  const v1::Contribution applied = *shard0.OwnContribution();
  ASSERT_EQ(applied.applied_size(), 1);
  EXPECT_EQ(applied.applied(0).shard(), "s1");
  EXPECT_EQ(applied.applied(0).version(), shard1.OwnContribution()->version());
}

// "People who follow what you follow" spans the shards: each contributes
// its first candidates_per_source followers of a label, and a shard's first
// of them all are one index's, before and after a follower revokes FOLLOW.
TEST(ShardContributionTest, FirstFollowersOfEveryShardEqualOneIndexs) {
  const ConsentPolicy policy = *ConsentPolicy::FromText(kShippedConsentPolicy);
  v1::RankingConfig proto = RankingConfig::Shipped().proto();
  proto.set_candidates_per_source(10);  // The least the config allows.
  const absl::StatusOr<RankingConfig> config =
      RankingConfig::FromText(proto.DebugString());
  ASSERT_TRUE(config.ok()) << config.status();
  FakeClock clock(kNow);
  MemoryStore whole_store, store0, store1;
  PortraitIndex whole(&whole_store, &clock, &policy, &*config);
  PortraitIndex shard0(&store0, &clock, &policy, &*config);
  PortraitIndex shard1(&store1, &clock, &policy, &*config);
  // u00..u23 follow b0; even users on shard 0.
  const auto user = [](int u) { return absl::StrFormat("u%02d", u); };
  for (int u = 0; u < 24; ++u) {
    const v1::Event follow =
        BrandFollow(absl::StrCat(user(u), "-follow"), user(u), 0, kNow - 500);
    Store(whole_store, whole, follow);
    Store(u % 2 == 0 ? store0 : store1, u % 2 == 0 ? shard0 : shard1, follow);
  }
  const auto exchange = [&] { return Exchange(shard0, shard1); };
  using Ids = std::vector<std::string>;
  const auto first = [](const PortraitIndex& index) {
    return index.Read([&](const IndexState& state) {
      Ids ids;
      for (const std::string* id : state.FirstFollowers("brand:b0", 10)) {
        ids.push_back(*id);
      }
      return ids;
    });
  };
  const auto users = [&](std::initializer_list<int> us) {
    Ids ids;
    for (int u : us) ids.push_back(user(u));
    return ids;
  };
  ASSERT_EQ(first(whole), users({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(first(shard0), users({0, 2, 4, 6, 8, 10, 12, 14, 16, 18}));
  const v1::Contribution sent = exchange();
  ASSERT_EQ(sent.first_followers_size(), 1);
  EXPECT_EQ(sent.first_followers(0).label(), "brand:b0");
  EXPECT_EQ(Ids(sent.first_followers(0).user_ids().begin(),
                sent.first_followers(0).user_ids().end()),
            users({1, 3, 5, 7, 9, 11, 13, 15, 17, 19}));
  EXPECT_EQ(first(shard0), first(whole));
  EXPECT_EQ(first(shard1), first(whole));

  // u01 (shard 1) revokes FOLLOW: shard 0 follows at the next exchange.
  storage::ConsentRecord no_follow;
  (*no_follow.mutable_signals())[v1::FOLLOW].set_state(v1::FROZEN);
  ASSERT_TRUE(whole.OnConsentCommitted(user(1), no_follow, {}).ok());
  ASSERT_TRUE(shard1.OnConsentCommitted(user(1), no_follow, {}).ok());
  ASSERT_EQ(first(whole), users({0, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_NE(first(shard0), first(whole));
  exchange();
  EXPECT_EQ(first(shard0), first(whole));
  EXPECT_EQ(first(shard1), first(whole));
  exchange();  // The same contributions again change nothing.
  EXPECT_EQ(first(shard0), first(whole));
}

// A user's settings about other users reach the other shards with the
// contribution, and stop applying there when the user drops them.
TEST(ShardContributionTest, SettingsAboutOtherUsersReachTheOtherShards) {
  const ConsentPolicy policy = *ConsentPolicy::FromText(kShippedConsentPolicy);
  FakeClock clock(kNow);
  MemoryStore store0, store1;
  PortraitIndex shard0(&store0, &clock, &policy, &RankingConfig::Shipped());
  PortraitIndex shard1(&store1, &clock, &policy, &RankingConfig::Shipped());
  const auto send_to_shard0 = [&] {
    v1::Contribution from1 = *shard1.OwnContribution();
    from1.set_shard("s1");
    EXPECT_TRUE(shard0.ApplyContribution(from1).ok());
    return from1;
  };
  const auto relationship = [](storage::ConsentRecord* record,
                               v1::Relationship r, const std::string& target) {
    storage::RelationshipRecord* entry = record->add_relationships();
    entry->set_relationship(r);
    entry->set_target_id(target);
  };
  // "author" (shard 1) hides their posts from "v1" and "v2" and blacklists
  // "v3"; "shy" (shard 1) turns exposure off; "plain" sets nothing.
  storage::ConsentRecord author;
  relationship(&author, v1::BLACKLIST_USER, "v3");
  relationship(&author, v1::HIDE_MY_POSTS_FROM, "v1");
  relationship(&author, v1::HIDE_MY_POSTS_FROM, "v2");
  storage::ConsentRecord shy;
  (*shy.mutable_purposes())[v1::PEOPLE_YOU_MAY_KNOW_EXPOSURE] = false;
  const uint64_t before = shard1.OwnVersion();
  ASSERT_TRUE(shard1.OnConsentCommitted("author", author, {}).ok());
  ASSERT_TRUE(shard1.OnConsentCommitted("shy", shy, {}).ok());
  ASSERT_TRUE(
      shard1.OnConsentCommitted("plain", storage::ConsentRecord(), {}).ok());
  EXPECT_GT(shard1.OwnVersion(), before);

  const v1::Contribution sent = send_to_shard0();
  ASSERT_EQ(sent.people_size(), 2);
  EXPECT_EQ(sent.people(0).user_id(), "author");
  EXPECT_EQ(std::vector<std::string>(sent.people(0).hide_posts_from().begin(),
                                     sent.people(0).hide_posts_from().end()),
            std::vector<std::string>({"v1", "v2"}));
  EXPECT_EQ(std::vector<std::string>(sent.people(0).blacklisted().begin(),
                                     sent.people(0).blacklisted().end()),
            std::vector<std::string>({"v3"}));
  EXPECT_FALSE(sent.people(0).not_exposed());
  EXPECT_EQ(sent.people(1).user_id(), "shy");
  EXPECT_TRUE(sent.people(1).not_exposed());
  shard0.Read([&](const IndexState& state) {
    EXPECT_FALSE(state.ShowsPostsOf("author", "v1"));
    EXPECT_FALSE(state.ShowsPostsOf("author", "v2"));
    EXPECT_TRUE(state.ShowsPostsOf("author", "v3"));
    EXPECT_TRUE(state.ShowsPostsOf("shy", "v1"));
    EXPECT_TRUE(state.ShowsPostsOf("nobody", "v1"));
    ASSERT_TRUE(state.peer_people.contains("shy"));
    EXPECT_TRUE(state.peer_people.at("shy").not_exposed());
    EXPECT_FALSE(state.peer_people.contains("plain"));
  });

  // "author" drops the hiding and deletes the account; "shy" turns
  // exposure back on.
  storage::ConsentRecord deleted;
  deleted.set_account_deleted(true);
  ASSERT_TRUE(shard1.OnConsentCommitted("author", deleted, {}).ok());
  ASSERT_TRUE(
      shard1.OnConsentCommitted("shy", storage::ConsentRecord(), {}).ok());
  send_to_shard0();
  shard0.Read([&](const IndexState& state) {
    EXPECT_FALSE(state.ShowsPostsOf("author", "v3"));  // Deleted account.
    ASSERT_TRUE(state.peer_people.contains("author"));
    EXPECT_TRUE(state.peer_people.at("author").hide_posts_from().empty());
    EXPECT_FALSE(state.peer_people.contains("shy"));
  });
  // On the author's own shard, the portrait answers.
  shard1.Read([&](const IndexState& state) {
    EXPECT_FALSE(state.ShowsPostsOf("author", "v3"));
  });
}

// A contribution is built once per (version, versions applied): asked
// again unchanged, the same object; after a change of its own counts or of
// a peer's applied, a new one.
TEST(ShardContributionTest, BuiltOncePerVersion) {
  const ConsentPolicy policy = *ConsentPolicy::FromText(kShippedConsentPolicy);
  FakeClock clock(kNow);
  MemoryStore store0, store1;
  PortraitIndex shard0(&store0, &clock, &policy, &RankingConfig::Shipped());
  PortraitIndex shard1(&store1, &clock, &policy, &RankingConfig::Shipped());
  Store(store0, shard0, PostLike("a", "u0", 1, kNow - 1000));
  Store(store1, shard1, PostLike("b", "u1", 2, kNow - 1000));
  const auto first = shard0.OwnContribution();
  EXPECT_EQ(shard0.OwnContribution(), first);
  // Its own counts change.
  Store(store0, shard0, PostLike("c", "u0", 3, kNow - 500));
  const auto second = shard0.OwnContribution();
  EXPECT_NE(second, first);
  EXPECT_GT(second->version(), first->version());
  EXPECT_EQ(second->popularity_size(), 2);
  EXPECT_EQ(shard0.OwnContribution(), second);
  // It applies a peer's contribution: the same counts of its own, but
  // another `applied`.
  v1::Contribution from1 = *shard1.OwnContribution();
  from1.set_shard("s1");
  EXPECT_TRUE(shard0.ApplyContribution(from1).ok());
  const auto third = shard0.OwnContribution();
  EXPECT_NE(third, second);
  ASSERT_EQ(third->applied_size(), 1);
  EXPECT_EQ(third->applied(0).shard(), "s1");
  EXPECT_EQ(third->popularity_size(), 2);  // Its own users' only.
  EXPECT_EQ(shard0.OwnContribution(), third);
  // Within `reuse_ms` of a build, that build answers, with its version,
  // even after a change; after it, a new one.
  Store(store0, shard0, PostLike("d", "u0", 4, kNow - 400));
  EXPECT_EQ(shard0.OwnContribution(/*reuse_ms=*/1000), third);
  clock.AdvanceMillis(1000);
  const auto fourth = shard0.OwnContribution(/*reuse_ms=*/1000);
  EXPECT_NE(fourth, third);
  EXPECT_EQ(fourth->version(), shard0.OwnVersion());
  EXPECT_EQ(fourth->popularity_size(), 3);
}

// What a shard serves of its peers, by label or user: the summed counts
// and the peers' first followers and settings.
std::string PeerStateOf(const PortraitIndex& index, int posts) {
  const SharedCounts counts = CountsOf(index, posts);
  return index.Read([&](const IndexState& state) {
    std::map<std::string, std::string> sorted;
    for (const auto& [label, count] : state.popularity)
      sorted["popularity " + label] = absl::StrCat(count);
    for (const auto& [label, count] : state.peer_followers)
      sorted["followers " + label] = absl::StrCat(count);
    for (const auto& [label, users] : state.peer_first_followers) {
      for (const std::string& user : users)
        sorted["first " + label] += user + " ";
    }
    for (const auto& [user, settings] : state.peer_people)
      sorted["people " + user] = settings.ShortDebugString();
    std::string out;
    for (const auto& [key, value] : sorted) out += key + "=" + value + "\n";
    for (const auto& [label, count] : counts.top)
      absl::StrAppend(&out, "top ", label, "=", count, "\n");
    for (const auto& [label, count] : counts.most_followed)
      absl::StrAppend(&out, "followed ", label, "=", count, "\n");
    for (const auto& [label, nearest] : counts.nearest) {
      for (const auto& [other, similarity] : nearest)
        absl::StrAppend(&out, "near ", label, " ", other, "=", similarity,
                        "\n");
    }
    return out;
  });
}

// A shard that applies another's deltas serves what one applying its whole
// contributions serves, through random likes, follows and consent changes
// on the other (with that one counting a peer of its own, so that its own
// counts are its totals less the peer's), whether it applies every delta
// or skips some.
TEST(ShardContributionTest, DeltasServeWhatWholeContributionsServe) {
  const ConsentPolicy policy = *ConsentPolicy::FromText(kShippedConsentPolicy);
  FakeClock clock(kNow);
  MemoryStore source_store, delta_store, whole_store;
  PortraitIndex source(&source_store, &clock, &policy,
                       &RankingConfig::Shipped());
  PortraitIndex by_delta(&delta_store, &clock, &policy,
                         &RankingConfig::Shipped());
  PortraitIndex by_whole(&whole_store, &clock, &policy,
                         &RankingConfig::Shipped());
  source.KeepChangeLog();
  constexpr int kPosts = 15;
  std::mt19937 rng(17);
  // The receivers' own users, alike on both.
  for (int v = 0; v < 4; ++v) {
    const std::string user = absl::StrCat("v", v);
    for (int e = 0; e < 4; ++e) {
      const v1::Event like = PostLike(absl::StrCat(user, "-", e), user,
                                      (v * 3 + e) % kPosts, kNow - 5000 + e);
      Store(delta_store, by_delta, like);
      Store(whole_store, by_whole, like);
    }
    const v1::Event followed =
        BrandFollow(absl::StrCat(user, "-f"), user, v % 2, kNow - 5000);
    Store(delta_store, by_delta, followed);
    Store(whole_store, by_whole, followed);
  }
  v1::Contribution peer = *by_whole.OwnContribution();
  peer.set_shard("s0");
  ASSERT_TRUE(source.ApplyContribution(peer).ok());

  std::map<std::string, storage::ConsentRecord> records;
  uint64_t delta_version = 0;
  int smaller = 0;
  int trims = 0;
  for (int step = 0; step < 80; ++step) {
    const std::string user = absl::StrCat("u", rng() % 8);
    const int64_t at_ms = kNow - 4000 + step;
    switch (rng() % 4) {
      case 0:
      case 1:
        Store(source_store, source,
              PostLike(absl::StrCat("e", step), user,
                       static_cast<int>(rng() % kPosts), at_ms));
        break;
      case 2:
        Store(source_store, source,
              BrandFollow(absl::StrCat("f", step), user,
                          static_cast<int>(rng() % 4), at_ms));
        break;
      default: {
        storage::ConsentRecord& record = records[user];
        switch (rng() % 5) {
          case 0:
            (*record.mutable_signals())[v1::LIKE].set_state(
                record.signals().contains(v1::LIKE) &&
                        record.signals().at(v1::LIKE).state() == v1::FROZEN
                    ? v1::GRANTED
                    : v1::FROZEN);
            break;
          case 1:
            (*record.mutable_signals())[v1::FOLLOW].set_state(v1::FROZEN);
            break;
          case 2:
            if (record.relationships().empty()) {
              storage::RelationshipRecord* hide = record.add_relationships();
              hide->set_relationship(v1::HIDE_MY_POSTS_FROM);
              hide->set_target_id("v1");
            } else {
              record.clear_relationships();
            }
            break;
          case 3:
            (*record.mutable_purposes())[v1::PEOPLE_YOU_MAY_KNOW_EXPOSURE] =
                !record.purposes().contains(v1::PEOPLE_YOU_MAY_KNOW_EXPOSURE);
            break;
          default:
            record.Clear();
            break;
        }
        ASSERT_TRUE(source.OnConsentCommitted(user, record, {}).ok());
        break;
      }
    }
    v1::Contribution whole = *source.OwnContribution();
    whole.set_shard("s1");
    ASSERT_TRUE(by_whole.ApplyContribution(whole).ok());
    if (rng() % 3 == 0) continue;  // by_delta skips this one.
    std::optional<v1::Contribution> delta =
        source.OwnChangesSince(delta_version);
    if (!delta.has_value()) {
      ASSERT_EQ(delta_version, 0u) << step;  // Only before the first.
      delta = whole;
    } else {
      EXPECT_EQ(delta->since(), delta_version);
      smaller += delta->co_pairs_size() < whole.co_pairs_size();
    }
    delta->set_shard("s1");
    ASSERT_TRUE(by_delta.ApplyContribution(*delta).ok());
    delta_version = delta->version();
    ASSERT_EQ(PeerStateOf(by_delta, kPosts), PeerStateOf(by_whole, kPosts))
        << "step " << step;
    // Its only peer serves delta_version: sometimes the log up to it goes,
    // after which nothing older is answered with a delta.
    if (rng() % 2 == 0) {
      const size_t logged = source.OwnChangesLogged();
      source.TrimOwnChanges(delta_version);
      EXPECT_LE(source.OwnChangesLogged(), logged);
      EXPECT_FALSE(source.OwnChangesSince(delta_version - 1).has_value())
          << step;
      ++trims;
    }
  }
  EXPECT_GT(smaller, 20);
  EXPECT_GT(trims, 20);
  // A delta from a version the receiver has not reached is refused, and
  // changes nothing.
  v1::Contribution ahead = *source.OwnChangesSince(delta_version);
  ahead.set_shard("s1");
  ahead.set_since(delta_version + 1);
  const std::string before = PeerStateOf(by_delta, kPosts);
  const absl::Status refused = by_delta.ApplyContribution(ahead);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(PeerStateOf(by_delta, kPosts), before);
  EXPECT_FALSE(source.OwnChangesSince(source.OwnVersion() + 1).has_value());
  // Trimmed up to the latest version, the log is empty.
  source.TrimOwnChanges(source.OwnVersion());
  EXPECT_EQ(source.OwnChangesLogged(), 0u);
}

}  // namespace
}  // namespace portrait
