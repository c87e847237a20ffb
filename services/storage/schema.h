// The on-disk layout version. Key encodings and record formats (docs/
// STORAGE.md) are a contract with data already on disk; a server must not
// read a database written with another layout as if it were its own.
#ifndef PORTRAIT_SERVICES_STORAGE_SCHEMA_H_
#define PORTRAIT_SERVICES_STORAGE_SCHEMA_H_

#include "absl/status/status.h"
#include "services/storage/store.h"

namespace portrait {

// Raise when a key encoding or record format changes incompatibly.
inline constexpr int kSchemaVersion = 1;

// Stamps an empty store with kSchemaVersion; accepts a store stamped with it.
// FAILED_PRECONDITION, naming both versions, for a store stamped with another
// version or holding data but no stamp.
absl::Status CheckOrStampSchema(Store* store);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_STORAGE_SCHEMA_H_
