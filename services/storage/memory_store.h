// An in-memory Store for tests: same semantics as RocksDbStore, nothing
// durable. Thread-safe.
#ifndef PORTRAIT_SERVICES_STORAGE_MEMORY_STORE_H_
#define PORTRAIT_SERVICES_STORAGE_MEMORY_STORE_H_

#include <array>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/storage/store.h"

namespace portrait {

class MemoryStore : public Store {
 public:
  absl::StatusOr<std::string> Get(Column column,
                                  absl::string_view key) override;
  absl::Status Write(const WriteBatch& batch, bool sync) override;
  absl::Status Scan(Column column, absl::string_view begin,
                    absl::string_view end, const ScanVisitor& visit) override;
  absl::Status CompactRange(Column column, absl::string_view begin,
                            absl::string_view end) override;

 private:
  using Table = std::map<std::string, std::string, std::less<>>;

  absl::Mutex mu_;
  std::array<Table, kNumColumns> tables_ ABSL_GUARDED_BY(mu_);
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_STORAGE_MEMORY_STORE_H_
