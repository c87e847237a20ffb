// Identifiers: what may name a user, an item, a caller or a request. Keys of
// every column are built from them (services/storage/keys.h), so the rule
// lives here, below every layer that checks a request.
#ifndef PORTRAIT_SERVICES_STORAGE_IDS_H_
#define PORTRAIT_SERVICES_STORAGE_IDS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace portrait {

inline constexpr int kMaxIdBytes = 64;
// An event_id (the producer's idempotency key).
inline constexpr int kMaxEventIdBytes = 128;

// OK if `id` is 1 to `max_bytes` bytes of [A-Za-z0-9_.:@-]; otherwise
// INVALID_ARGUMENT naming `field` and the limit.
absl::Status ValidateId(absl::string_view id, absl::string_view field,
                        int max_bytes = kMaxIdBytes);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_STORAGE_IDS_H_
