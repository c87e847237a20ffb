// SyntheticWorld: a deterministic synthetic social/brand app for tests, load
// generation and benchmarks. Power-law user activity and item popularity,
// brands with categories, communities in the friend graph (friends and
// follows mostly inside a community, tastes shared within it), searches with
// terms from the community's topics, and locations around a few cities.
// The same options and seed give the same world, event for event.
#ifndef PORTRAIT_TOOLS_SYNTH_SYNTHETIC_WORLD_H_
#define PORTRAIT_TOOLS_SYNTH_SYNTHETIC_WORLD_H_

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "portrait/v1/consent.pb.h"
#include "portrait/v1/ingest.pb.h"

namespace portrait {

class SyntheticWorld {
 public:
  struct Options {
    int users = 1000;
    int posts = 500;
    int brands = 50;
    int64_t events = 50000;
    // Users per community of the friend graph.
    int community_size = 200;
    // Share of users who opt in to LOCATION and CONTACTS.
    double sensitive_opt_in = 0.1;
    uint32_t seed = 1;
    // Events happen in the 30 days before this time.
    int64_t now_ms = 1'790'000'000'000;
  };

  explicit SyntheticWorld(const Options& options);

  // Catalog upserts, in batches of at most 1,000 items.
  std::vector<v1::UpsertItemsRequest> Catalog() const;
  // The grants of sensitive signals, one request per opted-in user.
  std::vector<v1::SetConsentRequest> OptIns() const;
  // Calls `emit` with consecutive batches of `batch_size` events, in time
  // order, until options.events have been emitted.
  void Events(int batch_size,
              const std::function<void(const std::vector<v1::Event>&)>& emit);

  static std::string UserId(int i);
  // User i's phone number, as an address book would hold it.
  static std::string PhoneOf(int i);
  static std::string PostId(int i);
  static std::string BrandId(int i);

 private:
  // Draws 0..n-1 with P(k) proportional to 1/(k+1)^exponent.
  class Zipf {
   public:
    Zipf(int n, double exponent);
    int Draw(std::mt19937_64& rng) const;

   private:
    std::vector<double> cdf_;
  };

  v1::Event MakeEvent(int64_t index, int64_t at_ms);
  int PostForUser(int user);
  int OtherUserInCommunity(int user);
  bool OptedIn(int user) const;

  const Options options_;
  std::mt19937_64 rng_;
  Zipf user_activity_, post_popularity_, brand_popularity_;
  std::vector<std::vector<std::string>> post_tags_;
  std::vector<std::vector<int>>
      posts_by_topic_;  // topic -> posts, popular first
};

}  // namespace portrait

#endif  // PORTRAIT_TOOLS_SYNTH_SYNTHETIC_WORLD_H_
