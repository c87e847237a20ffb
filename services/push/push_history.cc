#include "services/push/push_history.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "portrait/storage/records.pb.h"
#include "services/ingest/validation.h"
#include "services/portrait/user_portrait.h"
#include "services/storage/ids.h"
#include "services/storage/keys.h"
#include "services/storage/stored_protos.h"

namespace portrait {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::Status Validate(const v1::RecordPushesRequest& request, int64_t now_ms) {
  if (request.pushes_size() < 1 ||
      request.pushes_size() > kMaxPushesPerRequest) {
    return Invalid("pushes",
                   absl::StrCat("has ", request.pushes_size(), "; 1 to ",
                                kMaxPushesPerRequest, " are allowed"));
  }
  for (int i = 0; i < request.pushes_size(); ++i) {
    const v1::SentPush& push = request.pushes(i);
    const std::string field = absl::StrCat("pushes[", i, "]");
    PORTRAIT_RETURN_IF_ERROR(
        ValidateId(push.user_id(), absl::StrCat(field, ".user_id")));
    const v1::ItemKind kind = push.item().kind();
    if (kind != v1::ITEM_POST && kind != v1::ITEM_USER) {
      return Invalid(absl::StrCat(field, ".item.kind"),
                     "must be ITEM_POST or ITEM_USER");
    }
    PORTRAIT_RETURN_IF_ERROR(
        ValidateId(push.item().id(), absl::StrCat(field, ".item.id")));
    PORTRAIT_RETURN_IF_ERROR(
        ValidatePushPurpose(push.purpose(), absl::StrCat(field, ".purpose")));
    if (push.sent_at_ms() <= 0 ||
        push.sent_at_ms() > now_ms + kMaxFutureSkewMs) {
      return Invalid(absl::StrCat(field, ".sent_at_ms"),
                     absl::StrCat("must be > 0 and at most ", kMaxFutureSkewMs,
                                  " ms ahead of the server clock"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidatePushPurpose(v1::PushPurpose purpose,
                                 absl::string_view field) {
  if (purpose == v1::PUSH_PURPOSE_UNSPECIFIED ||
      !v1::PushPurpose_IsValid(purpose)) {
    return Invalid(field, "must be PUSH_CONTENT, PUSH_PEOPLE or PUSH_NEARBY");
  }
  return absl::OkStatus();
}

PushHistory::PushHistory(Store* store, const Clock* clock)
    : store_(store), clock_(clock) {}

absl::StatusOr<v1::RecordPushesResponse> PushHistory::Record(
    const v1::RecordPushesRequest& request) {
  PORTRAIT_RETURN_IF_ERROR(Validate(request, clock_->NowMillis()));
  std::vector<std::string> keys;
  std::vector<std::string> labels;
  keys.reserve(request.pushes_size());
  for (const v1::SentPush& push : request.pushes()) {
    labels.push_back(ItemLabel(push.item()));
    keys.push_back(PushedItemKey(push.user_id(), labels.back()));
  }
  const std::vector<absl::StatusOr<std::string>> existing =
      store_->MultiGet(Column::kPush, keys);
  WriteBatch batch;
  absl::flat_hash_set<std::string> in_batch;
  v1::RecordPushesResponse response;
  for (int i = 0; i < request.pushes_size(); ++i) {
    const v1::SentPush& push = request.pushes(i);
    if (!existing[i].ok() && !absl::IsNotFound(existing[i].status())) {
      return existing[i].status();
    }
    if (existing[i].ok() || !in_batch.insert(keys[i]).second) {
      response.set_duplicates(response.duplicates() + 1);
      continue;
    }
    storage::PushRecord record;
    record.set_purpose(push.purpose());
    record.set_sent_at_ms(push.sent_at_ms());
    batch.Put(Column::kPush, keys[i], record.SerializeAsString());
    batch.Put(Column::kPush,
              PushTimeKey(push.user_id(), push.sent_at_ms(), labels[i]), "");
    response.set_recorded(response.recorded() + 1);
  }
  if (!batch.empty()) {
    PORTRAIT_RETURN_IF_ERROR(store_->Write(batch, /*sync=*/true));
  }
  return response;
}

absl::StatusOr<UserPushes> PushHistory::Read(absl::string_view user_id,
                                             int64_t window_begin_ms) const {
  UserPushes pushes;
  const std::string items = PushedItemKey(user_id, "");
  PORTRAIT_RETURN_IF_ERROR(ScanProtos<storage::PushRecord>(
      store_, Column::kPush, items, PrefixEnd(items),
      absl::StrCat("a push record of ", user_id),
      [&](absl::string_view key, const storage::PushRecord&) {
        pushes.items.emplace(key.substr(items.size()));
        return true;
      }));
  PORTRAIT_RETURN_IF_ERROR(store_->Scan(
      Column::kPush, PushTimeBegin(user_id, window_begin_ms),
      PushTimeEnd(user_id), [&](absl::string_view key, absl::string_view) {
        // Keys are in time order: the first is the earliest.
        if (pushes.sent_in_window++ == 0) {
          pushes.earliest_in_window_ms = PushTimeOf(key, user_id);
        }
        return true;
      }));
  return pushes;
}

}  // namespace portrait
