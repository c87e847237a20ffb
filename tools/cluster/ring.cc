// ring: which shard of a cluster holds a user (docs/SCALING.md), as HAProxy
// routes them with the configuration tools/cluster/haproxy_config.py writes.
//
//   ring --shards=s0,s1,s2 ann bob      # one "user shard" line each
//   ring --shards=s0,s1,s2 < users.txt  # one user id a line
//
// --shards must list the names in haproxy_config.py's order: a shard's
// position there is its place on the ring. Exits 2 on a bad flag or user id.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "services/cluster/haproxy_ring.h"
#include "services/storage/ids.h"

ABSL_FLAG(std::vector<std::string>, shards, {},
          "the cluster's shard names, in haproxy_config.py's order");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Prints the shard that holds each user: ring --shards=s0,s1,s2 "
      "[USER...] (users from standard input, one a line, if none given)");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  const std::vector<std::string> shards = absl::GetFlag(FLAGS_shards);
  if (shards.empty()) {
    std::fprintf(stderr, "--shards: is empty; name the cluster's shards\n");
    return 2;
  }
  const portrait::HaproxyRing ring(shards);
  auto place = [&ring](const std::string& user) {
    absl::Status valid = portrait::ValidateId(user, "user " + user);
    if (!valid.ok()) {
      std::fprintf(stderr, "%s\n", std::string(valid.message()).c_str());
      return false;
    }
    std::printf("%s %s\n", user.c_str(), ring.ShardOf(user).c_str());
    return true;
  };
  if (args.size() > 1) {
    for (size_t i = 1; i < args.size(); ++i) {
      if (!place(args[i])) return 2;
    }
    return 0;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && !place(line)) return 2;
  }
  return 0;
}
