// A small random multi-user world for integration tests: a catalog of
// brands, people and posts, and events of every signal over it, drawn from
// a seeded generator (the same seed gives the same world).
#ifndef PORTRAIT_TESTS_RANDOM_WORLD_H_
#define PORTRAIT_TESTS_RANDOM_WORLD_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "portrait/v1/ingest.pb.h"

namespace portrait {

class RandomWorld {
 public:
  static constexpr int kUsers = 12;
  static constexpr int kPosts = 40;
  static constexpr int kBrands = 6;
  // Posts are created in the 40 hours before this time.
  static constexpr int64_t kStartMs = 1'790'000'000'000;

  // User i's id ("u<i>") and phone number.
  static std::string User(int i);
  static std::string Contact(int i);

  // `signal` is the one Batch favours for its target user.
  RandomWorld(uint32_t seed, v1::Signal signal);

  // Every brand, person and post.
  v1::UpsertItemsRequest Catalog();
  // A random event of `signal` at `at_ms`, with the target or payload the
  // signal takes; `user` < 0 picks the user.
  v1::Event Event(int user, v1::Signal signal, int64_t at_ms);
  // `n` random events from `at_ms` on, mostly engagement, a quarter of them
  // `target_user`'s events of the favoured signal.
  std::vector<v1::Event> Batch(int n, int64_t at_ms, int target_user);
  // Uniform in [0, n).
  int Pick(int n);

 private:
  std::mt19937 rng_;
  v1::Signal signal_;
  int next_event_ = 0;
};

}  // namespace portrait

#endif  // PORTRAIT_TESTS_RANDOM_WORLD_H_
