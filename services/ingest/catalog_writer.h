// CatalogWriter: adds, replaces and removes catalog items (posts, brands,
// people). Each call validates the whole request, then writes one synced
// batch. Thread-safe.
#ifndef PORTRAIT_SERVICES_INGEST_CATALOG_WRITER_H_
#define PORTRAIT_SERVICES_INGEST_CATALOG_WRITER_H_

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "portrait/v1/ingest.pb.h"
#include "services/storage/store.h"

namespace portrait {

class CatalogWriter {
 public:
  // `store` and `clock` must outlive the writer.
  CatalogWriter(Store* store, const Clock* clock);

  // Errors: INVALID_ARGUMENT (nothing written), storage errors.
  absl::StatusOr<v1::UpsertItemsResponse> Upsert(
      const v1::UpsertItemsRequest& request);
  absl::StatusOr<v1::DeleteItemsResponse> Delete(
      const v1::DeleteItemsRequest& request);

  // The stored item, or NOT_FOUND.
  absl::StatusOr<v1::Item> Get(const v1::ItemRef& ref);

 private:
  Store* const store_;
  const Clock* const clock_;
  // Serialises Delete's existence checks with its write, so `deleted` counts
  // exactly the items this call removed.
  absl::Mutex delete_mu_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_INGEST_CATALOG_WRITER_H_
