#include "services/consent/consent_ledger.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "services/consent/consent_store.h"
#include "services/consent/consent_view.h"
#include "services/consent/erasure_components.h"
#include "services/storage/ids.h"
#include "services/storage/keys.h"
#include "services/storage/records.h"
#include "services/storage/stored_protos.h"

namespace portrait {
namespace {

std::vector<ErasureDuty> DutiesOf(
    const std::vector<ConsentObserver*>& observers) {
  std::vector<ErasureDuty> duties;
  for (const ConsentObserver* observer : observers) {
    for (const ErasureDuty& duty : observer->Duties()) duties.push_back(duty);
  }
  return duties;
}

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;

// What a retry must repeat: the changes, the requester, the policy version.
std::string Fingerprint(const v1::SetConsentRequest& request) {
  v1::SetConsentRequest essentials;
  *essentials.mutable_changes() = request.changes();
  essentials.set_requester(request.requester());
  essentials.set_policy_version(request.policy_version());
  return essentials.SerializeAsString();
}

// Puts or deletes the retention deadlines of frozen signals so that they
// match `after`.
void SyncFreezeDeadlines(absl::string_view user_id,
                         const storage::ConsentRecord& before,
                         const storage::ConsentRecord& after,
                         WriteBatch* batch) {
  auto deadline = [](const storage::ConsentRecord& r, int signal) -> int64_t {
    auto it = r.signals().find(signal);
    if (it == r.signals().end() || it->second.state() != v1::FROZEN) return 0;
    return it->second.frozen_until_ms();
  };
  for (int s = v1::Signal_MIN + 1; s <= v1::Signal_MAX; ++s) {
    const int64_t old_until = deadline(before, s);
    const int64_t new_until = deadline(after, s);
    if (old_until == new_until) continue;
    if (old_until != 0) {
      batch->Delete(Column::kMeta, FreezeExpiryKey(old_until, user_id, s));
    }
    if (new_until != 0) {
      batch->Put(Column::kMeta, FreezeExpiryKey(new_until, user_id, s), "");
    }
  }
}

}  // namespace

ConsentLedger::ConsentLedger(Store* store, const Clock* clock, UserLocks* locks,
                             const ConsentPolicy* policy, Options options)
    : store_(store),
      clock_(clock),
      locks_(locks),
      policy_(policy),
      options_(std::move(options)),
      duties_(DutiesOf(options_.observers)) {}

absl::StatusOr<v1::ErasureReceipt> ConsentLedger::BuildCommit(
    Commit& commit, int64_t now_ms, WriteBatch* batch) {
  const std::string& user = commit.user_id;
  const int64_t first = commit.before.last_sequence() + 1;
  v1::ErasureReceipt receipt;
  receipt.set_receipt_id(ReceiptId(user, first));
  receipt.set_user_id(user);
  receipt.set_created_at_ms(now_ms);

  for (const Revocation& r : commit.revocations) {
    v1::ErasureComponent* events = receipt.add_components();
    events->set_component(erasure::kRawEvents);
    events->set_signal(r.signal);
    events->set_action(r.action);
    events->set_state(v1::DONE);
    events->set_done_at_ms(now_ms);
    if (!r.event_key.empty()) {
      events->set_event_id(r.event_id);
      batch->Delete(Column::kEvents, r.event_key);
      batch->Put(Column::kEventIds, EventIdKey(user, r.signal, r.event_id),
                 receipt.receipt_id());
    } else if (r.before_ms > 0) {
      events->set_before_ms(r.before_ms);
      batch->DeleteRange(
          Column::kEvents, UserSignalPrefix(user, r.signal),
          EventKey(user, static_cast<uint8_t>(r.signal), r.before_ms, ""));
      for (const std::string& id : r.expired_ids) {
        batch->Delete(Column::kEventIds, EventIdKey(user, r.signal, id));
      }
    } else if (r.erase) {
      AppendStripOps(user, r.signal, batch);
    }
    for (const ErasureDuty& duty : duties_) {
      if (duty.erased_only && !r.erase) continue;
      v1::ErasureComponent* c = receipt.add_components();
      *c = *events;
      c->set_component(duty.component);
      if (duty.deadline_ms == 0) continue;
      c->set_state(v1::PENDING);
      c->set_done_at_ms(0);
      c->set_deadline_ms(now_ms + duty.deadline_ms);
    }
  }
  if (!commit.revocations.empty() || commit.account_deletion) {
    const RevocationCommit revocation{
        user,   receipt.receipt_id(), first,
        now_ms, commit.revocations,   commit.account_deletion};
    for (ConsentObserver* observer : options_.observers) {
      observer->AddToCommit(revocation, batch);
    }
  }
  for (size_t i = 0; i < commit.entries.size(); ++i) {
    v1::LedgerEntry& entry = commit.entries[i];
    entry.set_sequence(first + static_cast<int64_t>(i));
    entry.set_receipt_id(receipt.receipt_id());
    batch->Put(Column::kLedger, LedgerKey(user, entry.sequence()),
               ToRecord(entry).SerializeAsString());
  }
  commit.after.set_last_sequence(first + commit.entries.size() - 1);
  SyncFreezeDeadlines(user, commit.before, commit.after, batch);
  batch->Put(Column::kConsent, ConsentStateKey(user),
             commit.after.SerializeAsString());
  batch->Put(Column::kConsent, ReceiptKey(user, first),
             ToRecord(receipt).SerializeAsString());
  return receipt;
}

absl::StatusOr<v1::SetConsentResponse> ConsentLedger::SetConsent(
    const v1::SetConsentRequest& request,
    const std::string& authenticated_caller) {
  PORTRAIT_RETURN_IF_ERROR(ValidateSetConsent(request, *policy_));
  const std::string& user = request.user_id();
  v1::SetConsentResponse response;
  {
    UserLocks::Guard guard = locks_->Lock(user);
    const int64_t now_ms = clock_->NowMillis();
    const std::string request_key =
        ConsentRequestKey(user, request.request_id());
    absl::StatusOr<std::string> earlier =
        store_->Get(Column::kConsent, request_key);
    if (earlier.ok()) return Replay(request, *earlier);
    if (!absl::IsNotFound(earlier.status())) return earlier.status();

    Commit commit;
    commit.user_id = user;
    PORTRAIT_ASSIGN_OR_RETURN(commit.before, ReadConsentRecord(store_, user));
    PORTRAIT_ASSIGN_OR_RETURN(
        bool minor_by_age,
        ReadMinorByStatedAge(store_, *policy_, commit.before, user, now_ms));
    commit.after = commit.before;
    PORTRAIT_ASSIGN_OR_RETURN(
        AppliedChanges applied,
        ApplyChanges(*policy_, request, now_ms, minor_by_age, &commit.after));
    commit.entries = std::move(applied.entries);
    commit.revocations = std::move(applied.revocations);
    for (v1::LedgerEntry& e : commit.entries) {
      e.set_authenticated_caller(authenticated_caller);
    }

    WriteBatch batch;
    storage::RequestRecord processed;
    processed.set_fingerprint(Fingerprint(request));
    processed.set_receipt_id(
        ReceiptId(user, commit.before.last_sequence() + 1));
    batch.Put(Column::kConsent, request_key, processed.SerializeAsString());
    PORTRAIT_ASSIGN_OR_RETURN(*response.mutable_receipt(),
                              WriteCommit(commit, now_ms, batch));
    response.set_receipt_id(response.receipt().receipt_id());
    PORTRAIT_ASSIGN_OR_RETURN(*response.mutable_consent(),
                              Snapshot(user, commit.after, now_ms));
  }
  WakeIfPending(response.receipt());
  return response;
}

absl::StatusOr<v1::DeleteRecordResponse> ConsentLedger::DeleteRecord(
    const v1::DeleteRecordRequest& request,
    const std::string& authenticated_caller) {
  PORTRAIT_RETURN_IF_ERROR(ValidateDeleteRecord(request));
  const std::string& user = request.user_id();
  const v1::Signal signal = request.signal();
  const auto not_found = [&] {
    return absl::NotFoundError(
        absl::StrCat("event_id: user ", user, " has no stored ",
                     v1::Signal_Name(signal), " event ", request.event_id()));
  };
  v1::DeleteRecordResponse response;
  {
    UserLocks::Guard guard = locks_->Lock(user);
    const int64_t now_ms = clock_->NowMillis();
    PORTRAIT_ASSIGN_OR_RETURN(storage::ConsentRecord record,
                              ReadConsentRecord(store_, user));
    if (record.account_deleted()) {
      return absl::FailedPreconditionError(
          absl::StrCat("user_id: the account of ", user, " was deleted"));
    }
    absl::StatusOr<std::string> id_value = store_->Get(
        Column::kEventIds, EventIdKey(user, signal, request.event_id()));
    if (absl::IsNotFound(id_value.status())) return not_found();
    if (!id_value.ok()) return id_value.status();
    if (!id_value->empty()) {
      // Deleted before: the tombstone holds the deletion's receipt id.
      PORTRAIT_ASSIGN_OR_RETURN(*response.mutable_receipt(),
                                ReadReceipt(*id_value));
      response.set_receipt_id(response.receipt().receipt_id());
      response.set_replayed(true);
      PORTRAIT_RETURN_IF_ERROR(
          NotifyCommitted(user, record, response.receipt()));
      return response;
    }
    // The event's key holds its time: find it in the signal's range.
    const std::string begin =
        UserSignalPrefix(user, static_cast<uint8_t>(signal));
    std::string event_key;
    int64_t occurred_at_ms = 0;
    absl::Status parse_status;
    PORTRAIT_RETURN_IF_ERROR(
        store_->Scan(Column::kEvents, begin, PrefixEnd(begin),
                     [&](absl::string_view key, absl::string_view) {
                       absl::StatusOr<EventKeyParts> parts = ParseEventKey(key);
                       if (!parts.ok()) {
                         parse_status = parts.status();
                         return false;
                       }
                       if (parts->event_id != request.event_id()) return true;
                       event_key = std::string(key);
                       occurred_at_ms = parts->occurred_at_ms;
                       return false;
                     }));
    PORTRAIT_RETURN_IF_ERROR(parse_status);
    if (event_key.empty()) {
      return absl::DataLossError(absl::StrCat(
          "the idempotency key of ", v1::Signal_Name(signal), " event ",
          request.event_id(), " of user ", user, " has no event"));
    }

    Commit commit;
    commit.user_id = user;
    commit.before = record;
    commit.after = record;
    commit.entries.push_back(RecordDeletionEntry(request, occurred_at_ms,
                                                 now_ms, policy_->version()));
    commit.entries.back().set_authenticated_caller(authenticated_caller);
    Revocation revocation{signal, v1::STRIP, /*erase=*/true};
    revocation.event_key = event_key;
    revocation.event_id = request.event_id();
    commit.revocations.push_back(std::move(revocation));

    WriteBatch batch;
    PORTRAIT_ASSIGN_OR_RETURN(*response.mutable_receipt(),
                              WriteCommit(commit, now_ms, batch));
    response.set_receipt_id(response.receipt().receipt_id());
  }
  WakeIfPending(response.receipt());
  return response;
}

absl::StatusOr<v1::DeleteUserResponse> ConsentLedger::DeleteUser(
    const v1::DeleteUserRequest& request,
    const std::string& authenticated_caller) {
  PORTRAIT_RETURN_IF_ERROR(ValidateDeleteUser(request));
  const std::string& user = request.user_id();
  v1::DeleteUserResponse response;
  {
    UserLocks::Guard guard = locks_->Lock(user);
    const int64_t now_ms = clock_->NowMillis();
    Commit commit;
    commit.user_id = user;
    PORTRAIT_ASSIGN_OR_RETURN(commit.before, ReadConsentRecord(store_, user));
    if (commit.before.account_deleted()) {
      PORTRAIT_ASSIGN_OR_RETURN(
          *response.mutable_receipt(),
          ReadReceipt(commit.before.deletion_receipt_id()));
      response.set_receipt_id(response.receipt().receipt_id());
      response.set_replayed(true);
      PORTRAIT_RETURN_IF_ERROR(
          NotifyCommitted(user, commit.before, response.receipt()));
      return response;
    }
    commit.after = commit.before;
    PORTRAIT_ASSIGN_OR_RETURN(
        AppliedChanges applied,
        DeleteAccount(*policy_, request, now_ms, &commit.after));
    commit.entries = std::move(applied.entries);
    for (v1::LedgerEntry& e : commit.entries) {
      e.set_authenticated_caller(authenticated_caller);
    }
    commit.revocations = std::move(applied.revocations);
    commit.account_deletion = true;
    commit.after.set_deletion_receipt_id(
        ReceiptId(user, commit.before.last_sequence() + 1));

    WriteBatch batch;
    const std::string pushes = UserPrefix(user);
    batch.DeleteRange(Column::kPush, pushes, PrefixEnd(pushes));
    PORTRAIT_ASSIGN_OR_RETURN(*response.mutable_receipt(),
                              WriteCommit(commit, now_ms, batch));
    response.set_receipt_id(response.receipt().receipt_id());
  }
  WakeIfPending(response.receipt());
  return response;
}

absl::StatusOr<v1::ErasureReceipt> ConsentLedger::WriteCommit(
    Commit& commit, int64_t now_ms, WriteBatch& batch) {
  PORTRAIT_ASSIGN_OR_RETURN(v1::ErasureReceipt receipt,
                            BuildCommit(commit, now_ms, &batch));
  PORTRAIT_RETURN_IF_ERROR(store_->Write(batch, /*sync=*/true));
  PORTRAIT_RETURN_IF_ERROR(
      NotifyCommitted(commit.user_id, commit.after, receipt));
  return receipt;
}

void ConsentLedger::WakeIfPending(const v1::ErasureReceipt& receipt) {
  for (const v1::ErasureComponent& c : receipt.components()) {
    if (c.state() == v1::PENDING && options_.on_background_work) {
      options_.on_background_work();
      return;
    }
  }
}

absl::StatusOr<v1::ErasureReceipt> ConsentLedger::ReadReceipt(
    absl::string_view receipt_id) {
  std::string user;
  int64_t sequence = 0;
  PORTRAIT_RETURN_IF_ERROR(ParseReceiptId(receipt_id, &user, &sequence));
  PORTRAIT_ASSIGN_OR_RETURN(
      std::string stored,
      store_->Get(Column::kConsent, ReceiptKey(user, sequence)));
  PORTRAIT_ASSIGN_OR_RETURN(
      storage::ReceiptRecord record,
      ParseStored<storage::ReceiptRecord>(stored, "receipt"));
  return FromRecord(record);
}

absl::StatusOr<v1::SetConsentResponse> ConsentLedger::Replay(
    const v1::SetConsentRequest& request, const std::string& stored) {
  PORTRAIT_ASSIGN_OR_RETURN(
      storage::RequestRecord processed,
      ParseStored<storage::RequestRecord>(stored, "stored request record"));
  if (processed.fingerprint() != Fingerprint(request)) {
    return absl::AlreadyExistsError(
        absl::StrCat("request_id: ", request.request_id(),
                     " was already used for a different request of this user"));
  }
  v1::SetConsentResponse response;
  response.set_receipt_id(processed.receipt_id());
  response.set_replayed(true);
  PORTRAIT_ASSIGN_OR_RETURN(*response.mutable_receipt(),
                            ReadReceipt(processed.receipt_id()));
  const std::string& user = request.user_id();
  PORTRAIT_ASSIGN_OR_RETURN(storage::ConsentRecord consent,
                            ReadConsentRecord(store_, user));
  PORTRAIT_RETURN_IF_ERROR(NotifyCommitted(user, consent, response.receipt()));
  PORTRAIT_ASSIGN_OR_RETURN(*response.mutable_consent(),
                            Snapshot(user, consent, clock_->NowMillis()));
  return response;
}

absl::Status ConsentLedger::NotifyCommitted(
    const std::string& user_id, const storage::ConsentRecord& record,
    const v1::ErasureReceipt& receipt) {
  for (ConsentObserver* observer : options_.observers) {
    PORTRAIT_RETURN_IF_ERROR(
        observer->OnConsentCommitted(user_id, record, receipt));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ConsentSnapshot> ConsentLedger::Snapshot(
    absl::string_view user_id, const storage::ConsentRecord& record,
    int64_t now_ms) {
  PORTRAIT_ASSIGN_OR_RETURN(
      bool minor_by_age,
      ReadMinorByStatedAge(store_, *policy_, record, user_id, now_ms));
  return ConsentView(*policy_, record, minor_by_age).Snapshot(user_id);
}

absl::StatusOr<v1::ConsentSnapshot> ConsentLedger::GetConsent(
    absl::string_view user_id) {
  PORTRAIT_RETURN_IF_ERROR(ValidateId(user_id, "user_id"));
  PORTRAIT_ASSIGN_OR_RETURN(storage::ConsentRecord record,
                            ReadConsentRecord(store_, user_id));
  return Snapshot(user_id, record, clock_->NowMillis());
}

absl::StatusOr<v1::GetConsentHistoryResponse> ConsentLedger::GetHistory(
    const v1::GetConsentHistoryRequest& request) {
  PORTRAIT_RETURN_IF_ERROR(ValidateId(request.user_id(), "user_id"));
  if (request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: is ", request.page_size(), "; must be 0 to ",
                     kMaxPageSize));
  }
  const int page_size =
      request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  int64_t start = 1;
  if (!request.page_token().empty() &&
      (!absl::SimpleAtoi(request.page_token(), &start) || start < 1)) {
    return absl::InvalidArgumentError(
        "page_token: must be a next_page_token from an earlier response");
  }
  v1::GetConsentHistoryResponse response;
  const std::string& user = request.user_id();
  PORTRAIT_RETURN_IF_ERROR(ScanProtos<storage::LedgerRecord>(
      store_, Column::kLedger, LedgerKey(user, start),
      PrefixEnd(UserPrefix(user)), "a ledger entry",
      [&](absl::string_view, storage::LedgerRecord& record) {
        if (response.entries_size() == page_size) {
          response.set_next_page_token(
              absl::StrCat(response.entries(page_size - 1).sequence() + 1));
          return false;
        }
        *response.add_entries() = FromRecord(record);
        return true;
      }));
  return response;
}

absl::StatusOr<v1::GetErasureStatusResponse> ConsentLedger::GetErasureStatus(
    absl::string_view receipt_id) {
  std::string user;
  int64_t sequence = 0;
  PORTRAIT_RETURN_IF_ERROR(ParseReceiptId(receipt_id, &user, &sequence));
  PORTRAIT_RETURN_IF_ERROR(ValidateId(user, "receipt_id"));
  absl::StatusOr<std::string> stored =
      store_->Get(Column::kConsent, ReceiptKey(user, sequence));
  if (absl::IsNotFound(stored.status())) {
    return absl::NotFoundError(
        absl::StrCat("receipt_id: no receipt ", receipt_id));
  }
  PORTRAIT_RETURN_IF_ERROR(stored.status());
  PORTRAIT_ASSIGN_OR_RETURN(
      storage::ReceiptRecord record,
      ParseStored<storage::ReceiptRecord>(*stored, "receipt"));
  v1::GetErasureStatusResponse response;
  *response.mutable_receipt() = FromRecord(record);
  bool complete = true;
  for (const v1::ErasureComponent& c : response.receipt().components()) {
    complete &= c.state() == v1::DONE;
  }
  response.set_complete(complete);
  return response;
}

absl::StatusOr<int> ConsentLedger::ExpireFrozen(int limit) {
  const int64_t now_ms = clock_->NowMillis();
  std::vector<std::string> due;
  PORTRAIT_RETURN_IF_ERROR(
      store_->Scan(Column::kMeta, FreezeExpiryBegin(), FreezeExpiryEnd(now_ms),
                   [&](absl::string_view key, absl::string_view) {
                     due.emplace_back(key);
                     return static_cast<int>(due.size()) < limit;
                   }));
  int stripped_count = 0;
  bool any = false;
  for (const std::string& key : due) {
    bool stripped = false;
    PORTRAIT_RETURN_IF_ERROR(ExpireOne(key, now_ms, &stripped));
    stripped_count += stripped ? 1 : 0;
    any |= stripped;
  }
  if (any && options_.on_background_work) options_.on_background_work();
  return stripped_count;
}

absl::StatusOr<int> ConsentLedger::ExpireEvents(int limit) {
  const int64_t now_ms = clock_->NowMillis();
  // The oldest event of each user's signal comes first in its range: one
  // look at it tells whether the range has expired events.
  struct Due {
    std::string user_id;
    v1::Signal signal;
    int64_t before_ms;
  };
  std::vector<Due> due;
  std::string range;  // The user-signal prefix already looked at.
  absl::Status parse_status;
  PORTRAIT_RETURN_IF_ERROR(store_->Scan(
      Column::kEvents, "", "", [&](absl::string_view key, absl::string_view) {
        if (!range.empty() && absl::StartsWith(key, range)) return true;
        absl::StatusOr<EventKeyParts> parts = ParseEventKey(key);
        if (!parts.ok()) {
          parse_status = parts.status();
          return false;
        }
        range = UserSignalPrefix(parts->user_id, parts->signal);
        const v1::Signal signal = static_cast<v1::Signal>(parts->signal);
        const int64_t retention_ms = policy_->RetentionMs(signal);
        if (retention_ms <= 0 || parts->occurred_at_ms >= now_ms - retention_ms)
          return true;
        due.push_back({parts->user_id, signal, now_ms - retention_ms});
        return static_cast<int>(due.size()) < limit;
      }));
  PORTRAIT_RETURN_IF_ERROR(parse_status);
  int erased_count = 0;
  for (const Due& d : due) {
    bool erased = false;
    PORTRAIT_RETURN_IF_ERROR(
        ExpireEventsOf(d.user_id, d.signal, d.before_ms, now_ms, &erased));
    erased_count += erased ? 1 : 0;
  }
  if (erased_count > 0 && options_.on_background_work) {
    options_.on_background_work();
  }
  return erased_count;
}

absl::Status ConsentLedger::ExpireEventsOf(const std::string& user_id,
                                           v1::Signal signal, int64_t before_ms,
                                           int64_t now_ms, bool* erased) {
  UserLocks::Guard guard = locks_->Lock(user_id);
  // Read again under the lock: a revocation may have erased them since.
  const uint8_t s = static_cast<uint8_t>(signal);
  std::vector<std::string> ids;
  absl::Status parse_status;
  PORTRAIT_RETURN_IF_ERROR(
      store_->Scan(Column::kEvents, UserSignalPrefix(user_id, s),
                   EventKey(user_id, s, before_ms, ""),
                   [&](absl::string_view key, absl::string_view) {
                     absl::StatusOr<EventKeyParts> parts = ParseEventKey(key);
                     if (!parts.ok()) {
                       parse_status = parts.status();
                       return false;
                     }
                     ids.push_back(std::move(parts->event_id));
                     return true;
                   }));
  PORTRAIT_RETURN_IF_ERROR(parse_status);
  if (ids.empty()) return absl::OkStatus();
  Commit commit;
  commit.user_id = user_id;
  PORTRAIT_ASSIGN_OR_RETURN(commit.before, ReadConsentRecord(store_, user_id));
  commit.after = commit.before;
  v1::LedgerEntry entry;
  entry.set_at_ms(now_ms);
  entry.set_caller_id("portrait-retention");
  entry.set_requester(v1::REQUESTER_SYSTEM);
  entry.set_request_id(absl::StrCat("retention-", before_ms));
  entry.set_policy_version(policy_->version());
  v1::EventsExpired* expired = entry.mutable_events_expired();
  expired->set_signal(signal);
  expired->set_before_ms(before_ms);
  expired->set_events(static_cast<int64_t>(ids.size()));
  entry.set_old_value("stored");
  entry.set_new_value("expired");
  entry.set_action(v1::STRIP);
  commit.entries.push_back(std::move(entry));
  Revocation revocation{signal, v1::STRIP, /*erase=*/true};
  revocation.before_ms = before_ms;
  revocation.expired_ids = std::move(ids);
  commit.revocations.push_back(std::move(revocation));
  WriteBatch batch;
  PORTRAIT_RETURN_IF_ERROR(WriteCommit(commit, now_ms, batch).status());
  *erased = true;
  return absl::OkStatus();
}

absl::Status ConsentLedger::ExpireOne(absl::string_view key, int64_t now_ms,
                                      bool* stripped) {
  PORTRAIT_ASSIGN_OR_RETURN(FreezeExpiryParts due, ParseFreezeExpiryKey(key));
  const v1::Signal signal = static_cast<v1::Signal>(due.signal);
  UserLocks::Guard guard = locks_->Lock(due.user_id);
  Commit commit;
  commit.user_id = due.user_id;
  PORTRAIT_ASSIGN_OR_RETURN(commit.before,
                            ReadConsentRecord(store_, due.user_id));
  commit.after = commit.before;
  absl::StatusOr<v1::LedgerEntry> entry =
      ExpireFrozenSignal(*policy_, signal, due.until_ms, now_ms, &commit.after);
  WriteBatch batch;
  batch.Delete(Column::kMeta, key);
  if (absl::IsFailedPrecondition(entry.status())) {
    // Re-granted or stripped since: the deadline is stale.
    return store_->Write(batch, /*sync=*/true);
  }
  PORTRAIT_RETURN_IF_ERROR(entry.status());
  commit.entries.push_back(std::move(*entry));
  commit.revocations.push_back({signal, v1::STRIP, /*erase=*/true});
  PORTRAIT_RETURN_IF_ERROR(WriteCommit(commit, now_ms, batch).status());
  *stripped = true;
  return absl::OkStatus();
}

}  // namespace portrait
