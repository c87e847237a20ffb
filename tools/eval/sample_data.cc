// sample_data: writes small synthetic datasets in the MovieLens (u.data) and
// HetRec Last.fm (user_artists.dat, user_friends.dat) formats, for checking
// the evaluation tool without any third-party data. Users belong to
// communities that favour their own block of items, so a recommender has
// something to find.
//
//   sample_data --dir=/tmp/sample --users=300 --items=400
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"

ABSL_FLAG(std::string, dir, "", "output directory (must exist)");
ABSL_FLAG(int, users, 300, "users");
ABSL_FLAG(int, items, 400, "items");
ABSL_FLAG(int, communities, 6, "communities");
ABSL_FLAG(int, seed, 1, "random seed");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string dir = absl::GetFlag(FLAGS_dir);
  if (dir.empty()) {
    std::fprintf(stderr, "sample_data: --dir is required\n");
    return EXIT_FAILURE;
  }
  const int users = absl::GetFlag(FLAGS_users);
  const int items = absl::GetFlag(FLAGS_items);
  const int communities = absl::GetFlag(FLAGS_communities);
  std::mt19937 rng(absl::GetFlag(FLAGS_seed));
  std::ofstream movielens(dir + "/u.data");
  std::ofstream artists(dir + "/user_artists.dat");
  std::ofstream friends(dir + "/user_friends.dat");
  artists << "userID\tartistID\tweight\r\n";
  friends << "userID\tfriendID\r\n";
  const int block = items / communities;
  long timestamp = 880000000;
  for (int u = 1; u <= users; ++u) {
    const int community = u % communities;
    const int count = 15 + rng() % 25;
    std::set<int> chosen;
    while (static_cast<int>(chosen.size()) < count) {
      // Skewed towards the low items of the block, or of everything.
      const int skew =
          static_cast<int>(std::pow(rng() % 1000 / 1000.0, 2) * block);
      chosen.insert(rng() % 10 < 8 ? community * block + skew + 1
                                   : skew * communities + 1);
    }
    for (int item : chosen) {
      movielens << u << '\t' << item << '\t' << 1 + rng() % 5 << '\t'
                << (timestamp += 1 + rng() % 100) << '\n';
      artists << u << '\t' << item << '\t' << 1 + rng() % 3000 << "\r\n";
    }
    for (int f = 0; f < 3; ++f) {
      const int other =
          1 +
          (community + communities * (rng() % (users / communities))) % users;
      if (other != u) {
        friends << u << '\t' << other << "\r\n" << other << '\t' << u << "\r\n";
      }
    }
  }
  std::printf("sample_data: wrote %d users, %d items to %s\n", users, items,
              dir.c_str());
  return EXIT_SUCCESS;
}
