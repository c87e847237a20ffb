// The per-source candidate cap: a capped source keeps exactly the best
// candidates_per_source of what the same source finds uncapped (by raw
// score, ties by label), with the same raw scores and signals.
#include "services/recommend/candidate_sources.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "config/ranking_config.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "services/consent/policy.h"
#include "services/consent/shipped_policy.h"
#include "services/locking/user_locks.h"
#include "services/model/model_trainer.h"
#include "services/portrait/portrait_index.h"
#include "services/portrait/test_events.h"
#include "services/storage/memory_store.h"

namespace portrait {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;
constexpr int kPosts = 40;

// The shipped ranking with candidates_per_source = `cap` and neighbour lists
// long enough for every post.
RankingConfig ConfigWithCap(int cap) {
  v1::RankingConfig proto = RankingConfig::Shipped().proto();
  proto.set_candidates_per_source(cap);
  proto.set_neighbours_per_item(kPosts);
  std::string text;
  EXPECT_TRUE(google::protobuf::TextFormat::PrintToString(proto, &text));
  absl::StatusOr<RankingConfig> config = RankingConfig::FromText(text);
  EXPECT_TRUE(config.ok()) << config.status();
  return *config;
}

// A world where "seed" likes p0 and p1, and 30 other users each like one of
// them together with a few other posts, so that the co-engagement and the
// model's neighbours of the seed's posts are many more than a cap of 10, with
// ties among them.
class World {
 public:
  explicit World(int cap)
      : config_(ConfigWithCap(cap)),
        policy_(*ConsentPolicy::FromText(kShippedConsentPolicy)),
        index_(&store_, &clock_, &policy_, &config_),
        trainer_(&store_, &clock_, &locks_, &index_, &config_, Options()) {
    v1::UpsertItemsRequest catalog;
    for (int p = 0; p < kPosts; ++p) {
      v1::Post* post = catalog.add_items()->mutable_post();
      post->set_post_id(absl::StrCat("p", p));
      post->set_created_at_ms(kNow - p * 60'000);
    }
    index_.OnItemsUpserted(catalog.items());
    Like("seed", 0);
    Like("seed", 1);
    for (int u = 0; u < 30; ++u) {
      const std::string user = absl::StrCat("u", u);
      Like(user, u % 2);
      for (int k = 0; k < 1 + u % 3; ++k)
        Like(user, 2 + (u * 7 + k * 5) % (kPosts - 2));
    }
  }

  void Add(const v1::Event& event) {
    ASSERT_TRUE(index_.OnEventsStored({&event}).ok());
  }

  // Runs `source` for "seed" and returns its candidates sorted by label.
  template <typename Source>
  std::vector<Candidate> Run(Source source) {
    EXPECT_TRUE(trainer_.Train().ok());
    const std::shared_ptr<const ServingModel> model = trainer_.current();
    return index_.Read([&](const IndexState& state) {
      const std::string user_id = "seed";
      SourceContext ctx{index_, state,        *state.User(user_id), user_id,
                        kNow,   std::nullopt, model.get()};
      CandidateTable table;
      source(ctx, &table);
      std::vector<Candidate> out = table.candidates();
      std::sort(
          out.begin(), out.end(),
          [](const Candidate& a, const Candidate& b) { return a.key < b.key; });
      return out;
    });
  }

 private:
  static IalsOptions Options() {
    IalsOptions options;
    options.factors = 8;
    return options;
  }

  void Like(const std::string& user, int post) {
    const int n = next_++;
    const v1::Event event =
        PostLike(absl::StrCat("e", n), user, post, kNow - 3'600'000 + n + 1);
    ASSERT_TRUE(index_.OnEventsStored({&event}).ok());
  }

  const RankingConfig config_;
  const ConsentPolicy policy_;
  MemoryStore store_;
  FakeClock clock_{kNow};
  UserLocks locks_;
  PortraitIndex index_;
  ModelTrainer trainer_;
  int next_ = 0;
};

// Checks that `capped` is the best `cap` of `all` for `source`.
void ExpectBestOf(const std::vector<Candidate>& all,
                  const std::vector<Candidate>& capped, int source,
                  size_t cap) {
  ASSERT_GT(all.size(), cap) << "the world must give more than the cap";
  std::vector<const Candidate*> best;
  for (const Candidate& c : all) best.push_back(&c);
  std::sort(best.begin(), best.end(),
            [&](const Candidate* a, const Candidate* b) {
              if (a->raw[source] != b->raw[source])
                return a->raw[source] > b->raw[source];
              return a->key < b->key;
            });
  best.resize(cap);
  std::sort(
      best.begin(), best.end(),
      [](const Candidate* a, const Candidate* b) { return a->key < b->key; });
  ASSERT_EQ(capped.size(), cap);
  for (size_t i = 0; i < cap; ++i) {
    EXPECT_EQ(capped[i].key, best[i]->key);
    EXPECT_EQ(capped[i].raw[source], best[i]->raw[source]) << capped[i].key;
    EXPECT_EQ(capped[i].signals[source], best[i]->signals[source])
        << capped[i].key;
  }
}

TEST(CandidateSourcesTest, CoEngagementKeepsTheBestCandidatesPerSource) {
  auto source = [](const SourceContext& ctx, CandidateTable* table) {
    AddCoEngagement(ctx, v1::ITEM_POST, table);
  };
  World uncapped(10'000), capped(10);
  ExpectBestOf(uncapped.Run(source), capped.Run(source), v1::CO_ENGAGEMENT, 10);
}

TEST(CandidateSourcesTest, EmbeddingKeepsTheBestCandidatesPerSource) {
  auto source = [](const SourceContext& ctx, CandidateTable* table) {
    AddEmbedding(ctx, v1::ITEM_POST, table);
  };
  World uncapped(10'000), capped(10);
  ExpectBestOf(uncapped.Run(source), capped.Run(source), v1::EMBEDDING, 10);
}

TEST(CandidateSourcesTest, BrandSurfaceGetsNoPostCandidates) {
  World world(10);
  auto source = [](const SourceContext& ctx, CandidateTable* table) {
    AddCoEngagement(ctx, v1::ITEM_BRAND, table);
    AddEmbedding(ctx, v1::ITEM_BRAND, table);
  };
  EXPECT_TRUE(world.Run(source).empty());
}

TEST(CandidateSourcesTest, FriendsEngagedSumsEachFriendsSharesAsOfNow) {
  constexpr int64_t kHalfLife = 720 * 3'600'000LL;  // taste_half_life_hours
  World world(10);
  for (const char* name : {"f0", "f1"}) {
    v1::Event befriend =
        PostLike(absl::StrCat("friend-", name), "seed", 0, kNow - kHalfLife);
    befriend.set_signal(v1::FRIEND);
    befriend.mutable_target()->set_kind(v1::ITEM_USER);
    befriend.mutable_target()->set_id(name);
    world.Add(befriend);
  }
  // f0: p35 a half-life ago (weight 1), p36 now (2): shares 1/3 and 2/3.
  world.Add(PostLike("f0-a", "f0", 35, kNow - kHalfLife));
  world.Add(PostLike("f0-b", "f0", 36, kNow));
  // f1: p36 an hour ahead of the clock (counts as now: 2), p37 a half-life
  // before now (1): 2/3 and 1/3 as of now, not as of the skewed newest.
  world.Add(PostLike("f1-a", "f1", 36, kNow + 3'600'000));
  world.Add(PostLike("f1-b", "f1", 37, kNow - kHalfLife));
  const std::vector<Candidate> got =
      world.Run([](const SourceContext& ctx, CandidateTable* table) {
        AddFriendsEngaged(ctx, "post", table);
      });
  ASSERT_EQ(got.size(), 3u);
  const double want[] = {1.0 / 3, 4.0 / 3, 1.0 / 3};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].key, absl::StrCat("post:p", 35 + i));
    EXPECT_NEAR(got[i].raw[v1::FRIENDS_ENGAGED], want[i], 1e-12) << got[i].key;
  }
}

TEST(CandidateSourcesTest, FriendsEngagedKeepsTheBestSumsOverFriends) {
  World world(10);
  for (const char* name : {"f0", "f1"}) {
    v1::Event befriend =
        PostLike(absl::StrCat("friend-", name), "seed", 0, kNow - 3'600'000);
    befriend.set_signal(v1::FRIEND);
    befriend.mutable_target()->set_kind(v1::ITEM_USER);
    befriend.mutable_target()->set_id(name);
    world.Add(befriend);
  }
  // f0 likes p20..p30 and f1 p29..p39, all alike: a share of 1/11 each.
  // Over both friends p29 and p30 are best (2/11), though neither friend
  // alone prefers them; the other 8 of 10 are the first labels, p20..p27.
  for (int p = 20; p <= 30; ++p)
    world.Add(PostLike(absl::StrCat("f0-", p), "f0", p, kNow));
  for (int p = 29; p <= 39; ++p)
    world.Add(PostLike(absl::StrCat("f1-", p), "f1", p, kNow));
  const std::vector<Candidate> got =
      world.Run([](const SourceContext& ctx, CandidateTable* table) {
        AddFriendsEngaged(ctx, "post", table);
      });
  ASSERT_EQ(got.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(got[i].key, absl::StrCat("post:p", i < 8 ? 20 + i : 21 + i));
    EXPECT_NEAR(got[i].raw[v1::FRIENDS_ENGAGED], i < 8 ? 1.0 / 11 : 2.0 / 11,
                1e-12)
        << got[i].key;
  }
}

}  // namespace
}  // namespace portrait
