// CatalogWriter: adds, replaces and removes catalog items (posts, brands,
// people). Each call validates the whole request, then writes one synced
// batch. Thread-safe.
#ifndef PORTRAIT_SERVICES_INGEST_CATALOG_WRITER_H_
#define PORTRAIT_SERVICES_INGEST_CATALOG_WRITER_H_

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "portrait/v1/ingest.pb.h"
#include "services/ingest/contacts.h"
#include "services/locking/user_locks.h"
#include "services/storage/store.h"

namespace portrait {

class CatalogWriter {
 public:
  struct Hooks {
    // Called after each successful write, in write order.
    std::function<void(const google::protobuf::RepeatedPtrField<v1::Item>&)>
        upserted;
    std::function<void(const google::protobuf::RepeatedPtrField<v1::ItemRef>&)>
        deleted;
    // In a cluster: whether another shard has said that `account` was
    // deleted there (its own shard). Called under the writer's lock.
    std::function<bool(absl::string_view account)> deleted_elsewhere;
  };

  // `store`, `clock` and `locks` must outlive the writer. Hooks may be
  // empty. `contacts` hashes people's contacts; nullptr: the server has no
  // contact key and refuses them.
  CatalogWriter(Store* store, const Clock* clock, UserLocks* locks,
                const ContactHasher* contacts = nullptr, Hooks hooks = {});

  // People are stored, and passed to the hook, with their contacts replaced
  // by keyed hashes. A person or a post's author whose account was deleted
  // is refused under that user's lock, so an upsert cannot slip in beside a
  // DeleteUser; so is one that `deleted_elsewhere` says another shard
  // deleted. Errors: INVALID_ARGUMENT (nothing written);
  // FAILED_PRECONDITION for contacts without a contact key or an item of a
  // deleted account (nothing written); storage errors.
  absl::StatusOr<v1::UpsertItemsResponse> Upsert(
      const v1::UpsertItemsRequest& request);
  absl::StatusOr<v1::DeleteItemsResponse> Delete(
      const v1::DeleteItemsRequest& request);
  // Deletes the items `list` returns, of any number. `list` runs under the
  // writer's lock, so an Upsert checked before it is in what it reads, and
  // one checked after it sees what it saw (`deleted_elsewhere`).
  absl::Status DeleteListed(
      const std::function<std::vector<v1::ItemRef>()>& list);

  // The stored item, or NOT_FOUND.
  absl::StatusOr<v1::Item> Get(const v1::ItemRef& ref);

 private:
  Store* const store_;
  const Clock* const clock_;
  UserLocks* const locks_;
  const ContactHasher* const contacts_;
  const Hooks hooks_;
  // Serialises writes with their hooks (so derived state sees them in write
  // order), Delete's existence checks with its write (so `deleted` counts
  // exactly the items this call removed), and Upsert's `deleted_elsewhere`
  // checks with DeleteListed.
  absl::Mutex mu_;

  absl::StatusOr<int> DeleteLocked(
      const google::protobuf::RepeatedPtrField<v1::ItemRef>& refs)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_INGEST_CATALOG_WRITER_H_
