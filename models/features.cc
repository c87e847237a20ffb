#include "models/features.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace portrait {
namespace {

constexpr size_t kMaxTerms = 16;
constexpr size_t kMaxTermBytes = 32;

bool IsSeparator(unsigned char c) {
  return c < 0x80 && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       (c >= '0' && c <= '9'));
}

}  // namespace

std::vector<std::string> QueryTerms(absl::string_view query) {
  std::vector<std::string> terms;
  std::string current;
  auto flush = [&] {
    if (!current.empty() && current.size() <= kMaxTermBytes &&
        std::find(terms.begin(), terms.end(), current) == terms.end() &&
        terms.size() < kMaxTerms) {
      terms.push_back(current);
    }
    current.clear();
  };
  for (char ch : query) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (IsSeparator(c)) {
      flush();
    } else {
      current.push_back(
          (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : ch);
    }
  }
  flush();
  return terms;
}

std::string GeoCell(double latitude, double longitude) {
  return absl::StrCat(static_cast<int>(std::floor(latitude * 10)), ",",
                      static_cast<int>(std::floor(longitude * 10)));
}

std::pair<double, double> GeoCellCentre(double latitude, double longitude) {
  return {(std::floor(latitude * 10) + 0.5) / 10,
          (std::floor(longitude * 10) + 0.5) / 10};
}

double DistanceMeters(double latitude1, double longitude1, double latitude2,
                      double longitude2) {
  constexpr double kRadians = 3.14159265358979323846 / 180;
  constexpr double kEarthRadiusM = 6'371'000;
  const double dlat = (latitude2 - latitude1) * kRadians;
  const double dlon = (longitude2 - longitude1) * kRadians;
  const double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(latitude1 * kRadians) *
                       std::cos(latitude2 * kRadians) * std::sin(dlon / 2) *
                       std::sin(dlon / 2);
  return 2 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(a)));
}

}  // namespace portrait
