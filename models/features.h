// Small pure functions that turn event payloads into portrait features.
#ifndef PORTRAIT_MODELS_FEATURES_H_
#define PORTRAIT_MODELS_FEATURES_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace portrait {

// The distinct terms of a search query, in first-seen order: ASCII letters
// lower-cased, split on ASCII spaces and punctuation; bytes >= 0x80 (UTF-8,
// e.g. Chinese) stay inside terms. At most 16 terms of at most 32 bytes.
std::vector<std::string> QueryTerms(absl::string_view query);

// The geo cell of a point: latitude and longitude floored to tenths of a
// degree (about 11 km), as "312,1214".
std::string GeoCell(double latitude, double longitude);
// The centre of the GeoCell of a point: (latitude, longitude) degrees.
std::pair<double, double> GeoCellCentre(double latitude, double longitude);
// Great-circle distance between two points, metres (haversine, Earth radius
// 6,371 km).
double DistanceMeters(double latitude1, double longitude1, double latitude2,
                      double longitude2);

}  // namespace portrait

#endif  // PORTRAIT_MODELS_FEATURES_H_
