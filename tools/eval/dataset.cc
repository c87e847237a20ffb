#include "tools/eval/dataset.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"

namespace portrait {
namespace {

// Calls `row(fields, line_number)` for each line after `skip` lines.
absl::Status ForEachRow(
    const std::string& path, int skip,
    const std::function<absl::Status(const std::vector<std::string>&, int)>&
        row) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, " cannot be read"));
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (number <= skip) continue;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> fields = absl::StrSplit(line, '\t');
    absl::Status status = row(fields, number);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " line ", number, ": ", status.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status NeedFields(const std::vector<std::string>& f, size_t n) {
  if (f.size() < n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "has ", f.size(), " tab-separated fields; ", n, " expected"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Dataset> LoadMovieLens(const std::string& path) {
  Dataset data;
  PORTRAIT_RETURN_IF_ERROR(ForEachRow(
      path, 0, [&](const std::vector<std::string>& f, int) -> absl::Status {
        PORTRAIT_RETURN_IF_ERROR(NeedFields(f, 4));
        DatasetInteraction x{f[0], f[1], 0, 0};
        if (!absl::SimpleAtod(f[2], &x.weight) || !(x.weight > 0) ||
            !absl::SimpleAtoi(f[3], &x.order)) {
          return absl::InvalidArgumentError(
              "rating must be > 0 and timestamp an integer");
        }
        data.interactions.push_back(std::move(x));
        return absl::OkStatus();
      }));
  return data;
}

absl::StatusOr<Dataset> LoadLastfm(const std::string& user_artists,
                                   const std::string& user_friends) {
  Dataset data;
  PORTRAIT_RETURN_IF_ERROR(ForEachRow(
      user_artists, 1,
      [&](const std::vector<std::string>& f, int line) -> absl::Status {
        PORTRAIT_RETURN_IF_ERROR(NeedFields(f, 3));
        DatasetInteraction x{f[0], f[1], 0, line};
        if (!absl::SimpleAtod(f[2], &x.weight) || !(x.weight > 0)) {
          return absl::InvalidArgumentError("weight must be a number > 0");
        }
        data.interactions.push_back(std::move(x));
        return absl::OkStatus();
      }));
  if (user_friends.empty()) return data;
  PORTRAIT_RETURN_IF_ERROR(
      ForEachRow(user_friends, 1,
                 [&](const std::vector<std::string>& f, int) -> absl::Status {
                   PORTRAIT_RETURN_IF_ERROR(NeedFields(f, 2));
                   data.friendships.emplace_back(f[0], f[1]);
                   return absl::OkStatus();
                 }));
  return data;
}

Split SplitPerUser(const std::vector<DatasetInteraction>& interactions,
                   uint32_t seed) {
  std::map<std::string, std::vector<const DatasetInteraction*>> by_user;
  for (const DatasetInteraction& x : interactions)
    by_user[x.user].push_back(&x);
  std::mt19937 rng(seed);
  Split split;
  for (auto& [user, rows] : by_user) {
    std::shuffle(rows.begin(), rows.end(), rng);
    const size_t n = rows.size();
    size_t train = n, valid = 0;
    if (n >= 3) {
      train = static_cast<size_t>(std::lround(0.8 * n));
      valid = static_cast<size_t>(std::lround(0.1 * n));
      valid = std::max<size_t>(valid, 1);
      train = std::min(train, n - valid - 1);
    }
    for (size_t i = 0; i < n; ++i) {
      (i < train           ? split.train
       : i < train + valid ? split.valid
                           : split.test)
          .push_back(*rows[i]);
    }
  }
  return split;
}

}  // namespace portrait
