#include "services/ingest/catalog_writer.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "services/consent/consent_store.h"
#include "services/ingest/validation.h"
#include "services/storage/keys.h"
#include "services/storage/records.h"
#include "services/storage/stored_protos.h"

namespace portrait {
namespace {

std::string KeyOf(const v1::Item& item) {
  switch (item.kind_case()) {
    case v1::Item::kPost:
      return CatalogKey(v1::ITEM_POST, item.post().post_id());
    case v1::Item::kBrand:
      return CatalogKey(v1::ITEM_BRAND, item.brand().brand_id());
    case v1::Item::kPerson:
      return CatalogKey(v1::ITEM_USER, item.person().user_id());
    case v1::Item::KIND_NOT_SET:
      break;
  }
  return std::string();  // Unreachable after ValidateItems.
}

// The account an item belongs to: a person's id, a post's author; empty for
// brands and posts without an author.
absl::string_view AccountOf(const v1::Item& item) {
  if (item.has_person()) return item.person().user_id();
  if (item.has_post()) return item.post().author_id();
  return "";
}

}  // namespace

CatalogWriter::CatalogWriter(Store* store, const Clock* clock, UserLocks* locks,
                             const ContactHasher* contacts, Hooks hooks)
    : store_(store),
      clock_(clock),
      locks_(locks),
      contacts_(contacts),
      hooks_(std::move(hooks)) {}

absl::StatusOr<v1::UpsertItemsResponse> CatalogWriter::Upsert(
    const v1::UpsertItemsRequest& request) {
  PORTRAIT_RETURN_IF_ERROR(ValidateItems(request.items(), clock_->NowMillis()));
  // Plain contacts go no further than this copy.
  google::protobuf::RepeatedPtrField<v1::Item> items = request.items();
  for (int i = 0; i < items.size(); ++i) {
    if (!items[i].has_person() || items[i].person().contacts().empty()) {
      continue;
    }
    const std::string field = absl::StrCat("items[", i, "].person");
    if (contacts_ == nullptr) return NoContactKey(field + ".contacts");
    PORTRAIT_RETURN_IF_ERROR(
        contacts_->HashContacts(items[i].mutable_person(), field));
  }
  std::vector<std::string> accounts;
  for (const v1::Item& item : items) {
    if (!AccountOf(item).empty()) accounts.emplace_back(AccountOf(item));
  }
  std::sort(accounts.begin(), accounts.end());
  accounts.erase(std::unique(accounts.begin(), accounts.end()), accounts.end());
  const UserLocks::Guard guard = locks_->Lock(
      std::vector<absl::string_view>(accounts.begin(), accounts.end()));
  PORTRAIT_ASSIGN_OR_RETURN(const auto records,
                            ReadConsentRecords(store_, accounts));
  absl::MutexLock lock(&mu_);
  for (int i = 0; i < items.size(); ++i) {
    const absl::string_view account = AccountOf(items[i]);
    if (account.empty()) continue;
    const bool deleted =
        records.at(account).account_deleted() ||
        (hooks_.deleted_elsewhere && hooks_.deleted_elsewhere(account));
    if (!deleted) continue;
    return absl::FailedPreconditionError(absl::StrCat(
        "items[", i, "].",
        items[i].has_person() ? "person.user_id" : "post.author_id",
        ": the account of ", account, " was deleted"));
  }
  WriteBatch batch;
  for (const v1::Item& item : items) {
    batch.Put(Column::kCatalog, KeyOf(item),
              ToRecord(item).SerializeAsString());
  }
  PORTRAIT_RETURN_IF_ERROR(store_->Write(batch, /*sync=*/true));
  if (hooks_.upserted) hooks_.upserted(items);
  v1::UpsertItemsResponse response;
  response.set_upserted(items.size());
  return response;
}

absl::StatusOr<v1::DeleteItemsResponse> CatalogWriter::Delete(
    const v1::DeleteItemsRequest& request) {
  PORTRAIT_RETURN_IF_ERROR(ValidateItemRefs(request.items()));
  absl::MutexLock lock(&mu_);
  PORTRAIT_ASSIGN_OR_RETURN(const int deleted, DeleteLocked(request.items()));
  v1::DeleteItemsResponse response;
  response.set_deleted(deleted);
  return response;
}

absl::Status CatalogWriter::DeleteListed(
    const std::function<std::vector<v1::ItemRef>()>& list) {
  absl::MutexLock lock(&mu_);
  std::vector<v1::ItemRef> listed = list();
  const google::protobuf::RepeatedPtrField<v1::ItemRef> refs(
      std::make_move_iterator(listed.begin()),
      std::make_move_iterator(listed.end()));
  return DeleteLocked(refs).status();
}

absl::StatusOr<int> CatalogWriter::DeleteLocked(
    const google::protobuf::RepeatedPtrField<v1::ItemRef>& refs) {
  WriteBatch batch;
  absl::flat_hash_set<std::string> seen;
  int deleted = 0;
  for (const v1::ItemRef& ref : refs) {
    std::string key = CatalogKey(ref.kind(), ref.id());
    if (!seen.insert(key).second) continue;
    absl::StatusOr<std::string> existing = store_->Get(Column::kCatalog, key);
    if (existing.ok()) {
      ++deleted;
      batch.Delete(Column::kCatalog, key);
    } else if (!absl::IsNotFound(existing.status())) {
      return existing.status();
    }
  }
  if (!batch.empty()) {
    PORTRAIT_RETURN_IF_ERROR(store_->Write(batch, /*sync=*/true));
    if (hooks_.deleted) hooks_.deleted(refs);
  }
  return deleted;
}

absl::StatusOr<v1::Item> CatalogWriter::Get(const v1::ItemRef& ref) {
  PORTRAIT_ASSIGN_OR_RETURN(
      std::string value,
      store_->Get(Column::kCatalog, CatalogKey(ref.kind(), ref.id())));
  PORTRAIT_ASSIGN_OR_RETURN(
      storage::ItemRecord record,
      ParseStored<storage::ItemRecord>(
          value, absl::StrCat("catalog item ", ref.id())));
  return FromRecord(record);
}

}  // namespace portrait
