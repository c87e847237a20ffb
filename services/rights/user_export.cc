#include "services/rights/user_export.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "portrait/storage/records.pb.h"
#include "services/consent/consent_view.h"
#include "services/portrait/user_portrait.h"
#include "services/profile/profile_builder.h"
#include "services/storage/ids.h"
#include "services/storage/keys.h"
#include "services/storage/records.h"
#include "services/storage/stored_protos.h"

namespace portrait {
namespace {

constexpr int kRecordsPerCancellationCheck = 1024;

}  // namespace

UserDataExporter::UserDataExporter(Store* store, UserLocks* locks,
                                   ConsentLedger* ledger,
                                   const PortraitIndex* index,
                                   const Clock* clock)
    : store_(store),
      locks_(locks),
      ledger_(ledger),
      index_(index),
      clock_(clock) {}

absl::StatusOr<std::vector<v1::ExportPart>> UserDataExporter::Export(
    absl::string_view user_id, const Cancellation& cancel) const {
  PORTRAIT_RETURN_IF_ERROR(ValidateId(user_id, "user_id"));
  const std::string user(user_id);
  UserLocks::Guard guard = locks_->Lock(user);
  std::vector<v1::ExportPart> parts;
  v1::ExportTrailer trailer;
  absl::Status cancelled;
  int scanned = 0;
  // Whether to go on after a record (false once the call is called off).
  auto go_on = [&] {
    if (++scanned % kRecordsPerCancellationCheck != 0) return true;
    cancelled = cancel.Check();
    return cancelled.ok();
  };

  v1::ExportHeader* header = parts.emplace_back().mutable_header();
  header->set_format_version(kExportFormatVersion);
  header->set_user_id(user);
  header->set_exported_at_ms(clock_->NowMillis());

  PORTRAIT_ASSIGN_OR_RETURN(v1::ConsentSnapshot consent,
                            ledger_->GetConsent(user));
  *parts.emplace_back().mutable_consent() = consent;

  v1::GetConsentHistoryRequest page;
  page.set_user_id(user);
  page.set_page_size(1000);
  while (true) {
    PORTRAIT_RETURN_IF_ERROR(cancel.Check());
    PORTRAIT_ASSIGN_OR_RETURN(v1::GetConsentHistoryResponse entries,
                              ledger_->GetHistory(page));
    for (v1::LedgerEntry& entry : *entries.mutable_entries()) {
      *parts.emplace_back().mutable_ledger_entry() = std::move(entry);
      trailer.set_ledger_entries(trailer.ledger_entries() + 1);
    }
    if (entries.next_page_token().empty()) break;
    page.set_page_token(entries.next_page_token());
  }

  const std::string receipts = ReceiptPrefix(user);
  PORTRAIT_RETURN_IF_ERROR(ScanProtos<storage::ReceiptRecord>(
      store_, Column::kConsent, receipts, PrefixEnd(receipts),
      "an erasure receipt", [&](absl::string_view, storage::ReceiptRecord& r) {
        *parts.emplace_back().mutable_receipt() = FromRecord(r);
        trailer.set_receipts(trailer.receipts() + 1);
        return go_on();
      }));
  PORTRAIT_RETURN_IF_ERROR(cancelled);

  const std::string prefix = UserPrefix(user);
  PORTRAIT_RETURN_IF_ERROR(ScanProtos<storage::EventRecord>(
      store_, Column::kEvents, prefix, PrefixEnd(prefix), "an event",
      [&](absl::string_view, storage::EventRecord& r) {
        v1::ExportedEvent* event = parts.emplace_back().mutable_event();
        *event->mutable_event() = FromRecord(r);
        event->set_signal_state(SnapshotState(consent, r.signal()));
        trailer.set_events(trailer.events() + 1);
        return go_on();
      }));
  PORTRAIT_RETURN_IF_ERROR(cancelled);

  const std::string pushed = PushedItemKey(user, "");
  PORTRAIT_RETURN_IF_ERROR(ScanProtos<storage::PushRecord>(
      store_, Column::kPush, pushed, PrefixEnd(pushed), "a push record",
      [&](absl::string_view key, storage::PushRecord& r) {
        v1::SentPush* push = parts.emplace_back().mutable_push();
        push->set_user_id(user);
        *push->mutable_item() = LabelRef(key.substr(pushed.size()));
        push->set_purpose(static_cast<v1::PushPurpose>(r.purpose()));
        push->set_sent_at_ms(r.sent_at_ms());
        trailer.set_pushes(trailer.pushes() + 1);
        return go_on();
      }));
  PORTRAIT_RETURN_IF_ERROR(cancelled);

  PORTRAIT_ASSIGN_OR_RETURN(v1::GetProfileResponse profile,
                            BuildProfile(*index_, *clock_, user));
  *parts.emplace_back().mutable_profile() = std::move(profile);

  const int64_t now_ms = clock_->NowMillis();
  index_->Read([&](const IndexState& state) {
    const UserPortrait& portrait = state.UserOrEmpty(user);
    std::vector<std::string> labels;
    for (const auto& [label, engaged] : portrait.engaged())
      labels.push_back(label);
    std::sort(labels.begin(), labels.end());
    for (const std::string& label : labels) {
      v1::ExportedContribution* c = parts.emplace_back().mutable_contribution();
      *c->mutable_item() = LabelRef(label);
      c->set_weight(portrait.EngagedWeight(label, index_->config(), now_ms));
      portrait.ForEachEngagement(
          label,
          [&](v1::Signal signal, const Affinity&) { c->add_signals(signal); });
      trailer.set_contributions(trailer.contributions() + 1);
    }
  });

  *parts.emplace_back().mutable_trailer() = trailer;
  return parts;
}

}  // namespace portrait
