// Public interaction datasets in their distributed formats, and the
// per-user random split of the standard evaluation protocol.
#ifndef PORTRAIT_TOOLS_EVAL_DATASET_H_
#define PORTRAIT_TOOLS_EVAL_DATASET_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace portrait {

struct DatasetInteraction {
  std::string user;
  std::string item;
  double weight = 1;  // A rating or play count; > 0.
  int64_t order = 0;  // Timestamp where known, else the line number.
};

struct Dataset {
  std::vector<DatasetInteraction> interactions;
  std::vector<std::pair<std::string, std::string>> friendships;  // user, friend
};

// MovieLens u.data: "user<TAB>item<TAB>rating<TAB>timestamp" per line.
// INVALID_ARGUMENT naming the line for a malformed one; NOT_FOUND if the
// file cannot be read.
absl::StatusOr<Dataset> LoadMovieLens(const std::string& path);

// HetRec Last.fm: user_artists.dat ("userID\tartistID\tweight", one header
// line) and, optionally (empty path), user_friends.dat ("userID\tfriendID",
// one header line).
absl::StatusOr<Dataset> LoadLastfm(const std::string& user_artists,
                                   const std::string& user_friends);

struct Split {
  std::vector<DatasetInteraction> train, valid, test;
};

// Per user: shuffles the user's interactions (seeded; users in sorted
// order, each user's interactions in file order before shuffling), then
// takes round(0.8 n) for training, round(0.1 n) for validation and the rest
// for testing. Users with fewer than 3 interactions train on all of them.
Split SplitPerUser(const std::vector<DatasetInteraction>& interactions,
                   uint32_t seed);

}  // namespace portrait

#endif  // PORTRAIT_TOOLS_EVAL_DATASET_H_
