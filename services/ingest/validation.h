// Checks of IngestService requests: the limits proto/portrait/v1/ingest.proto
// documents. Pure functions of the request and the current time.
//
// Two levels:
//  - Request-level (Validate*): a malformed field makes the whole request
//    INVALID_ARGUMENT, with a message naming the field path (e.g.
//    "events[3].user_id") and the limit. Nothing of it is stored.
//  - Event-level (CheckEventShape): a well-formed event whose signal, target
//    and payload do not fit together is rejected on its own.
#ifndef PORTRAIT_SERVICES_INGEST_VALIDATION_H_
#define PORTRAIT_SERVICES_INGEST_VALIDATION_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "portrait/v1/ingest.pb.h"
#include "services/consent/rejection.h"
#include "services/storage/ids.h"

namespace portrait {

inline constexpr int kMaxEventsPerRequest = 1000;
inline constexpr int kMaxItemsPerRequest = 1000;
inline constexpr int kMaxQueryBytes = 256;
inline constexpr int kMaxCommentBytes = 2000;
inline constexpr int kMaxShortTextBytes = 64;
inline constexpr int kMaxNameBytes = 256;
inline constexpr int kMaxTimeZoneBytes = 64;
inline constexpr int kMaxCheckInRadiusM = 10'000;
inline constexpr int kMaxListEntries = 32;
inline constexpr int kMaxContacts = 1000;
inline constexpr int kMaxPersonContacts = 4;
inline constexpr int64_t kMaxDwellMs = 86'400'000;
inline constexpr double kMaxWeight = 1'000'000;
// How far ahead of the server clock a timestamp may be (clock skew).
inline constexpr int64_t kMaxFutureSkewMs = 5 * 60 * 1000;

// Request-level checks of a whole batch of events (1 to
// kMaxEventsPerRequest), `field` being the repeated field's name.
absl::Status ValidateEvents(
    const google::protobuf::RepeatedPtrField<v1::Event>& events, int64_t now_ms,
    absl::string_view field = "events");

absl::Status ValidateItems(
    const google::protobuf::RepeatedPtrField<v1::Item>& items, int64_t now_ms);

// OK if latitude is in [-90, 90] and longitude in [-180, 180]; otherwise
// INVALID_ARGUMENT naming `field`.latitude or .longitude.
absl::Status ValidateLocation(const v1::LocationPayload& location,
                              absl::string_view field);

absl::Status ValidateItemRefs(
    const google::protobuf::RepeatedPtrField<v1::ItemRef>& refs);

// Event-level checks: target and payload fit the signal; no self-targeting.
std::optional<Rejection> CheckEventShape(const v1::Event& event);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_INGEST_VALIDATION_H_
