// Recommend from several threads while events keep invalidating the shared
// neighbour cache, so that readers race to fill and replace the same cache
// entries. Every call must succeed and every answer must stay well formed.
// Run under AddressSanitizer (`bazel test --config=asan`) this also catches
// a reader using a cached list that another reader's replacement freed.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "config/ranking_config.h"
#include "gtest/gtest.h"
#include "services/consent/policy.h"
#include "services/consent/shipped_policy.h"
#include "services/portrait/portrait_index.h"
#include "services/portrait/test_events.h"
#include "services/recommend/recommender.h"
#include "services/storage/memory_store.h"

namespace portrait {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;
constexpr int kUsers = 40;
constexpr int kPosts = 60;

v1::Event Like(int user, int post, int id) {
  return PostLike(absl::StrCat("e", id), absl::StrCat("u", user), post,
                  kNow - 1000 + id % 1000);
}

TEST(RecommenderConcurrencyTest, ReadersRaceOnTheNeighbourCache) {
  MemoryStore store;
  FakeClock clock(kNow);
  const ConsentPolicy policy = *ConsentPolicy::FromText(kShippedConsentPolicy);
  PortraitIndex index(&store, &clock, &policy, &RankingConfig::Shipped());
  v1::UpsertItemsRequest catalog;
  for (int p = 0; p < kPosts; ++p) {
    v1::Post* post = catalog.add_items()->mutable_post();
    post->set_post_id(absl::StrCat("p", p));
    post->set_created_at_ms(kNow - p * 1000);
  }
  index.OnItemsUpserted(catalog.items());
  int next_id = 0;
  for (int u = 0; u < kUsers; ++u) {
    for (int k = 0; k < 8; ++k) {
      const v1::Event event = Like(u, (u * 3 + k * 7) % kPosts, next_id++);
      ASSERT_TRUE(index.OnEventsStored({&event}).ok());
    }
  }
  const Recommender recommender(&index, nullptr, &clock);

  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::atomic<int> answers{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        v1::RecommendRequest request;
        request.set_user_id(absl::StrCat("u", (t * 7 + i) % kUsers));
        request.set_surface(v1::FEED);
        request.set_limit(10);
        absl::StatusOr<v1::RecommendResponse> response =
            recommender.Recommend(request);
        if (!response.ok() || response->items_size() == 0) {
          failures.fetch_add(1);
        } else {
          answers.fetch_add(1);
        }
      }
    });
  }
  // Each new engagement changes co-engagement counts, which empties the
  // neighbour cache; the readers then refill it concurrently.
  for (int round = 0; round < 300; ++round) {
    const v1::Event event =
        Like(round % kUsers, (round * 11) % kPosts, next_id++);
    ASSERT_TRUE(index.OnEventsStored({&event}).ok());
    std::this_thread::yield();
  }
  stop.store(true);
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(answers.load(), 0);
}

}  // namespace
}  // namespace portrait
