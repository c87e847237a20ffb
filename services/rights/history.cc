#include "services/rights/history.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "portrait/storage/records.pb.h"
#include "services/consent/consent_view.h"
#include "services/storage/ids.h"
#include "services/storage/keys.h"
#include "services/storage/stored_protos.h"

namespace portrait {

absl::StatusOr<v1::GetHistoryResponse> ReadHistory(
    Store* store, ConsentLedger* ledger, const v1::GetHistoryRequest& request) {
  PORTRAIT_RETURN_IF_ERROR(ValidateId(request.user_id(), "user_id"));
  if (request.signal() != v1::SEARCH && request.signal() != v1::BROWSE) {
    return absl::InvalidArgumentError(absl::StrCat(
        "signal: is ",
        v1::Signal_IsValid(request.signal()) ? v1::Signal_Name(request.signal())
                                             : absl::StrCat(request.signal()),
        "; must be SEARCH or BROWSE"));
  }
  if (request.page_size() < 0 || request.page_size() > kMaxHistoryPage) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: is ", request.page_size(), "; must be 0 to ",
                     kMaxHistoryPage));
  }
  const int page_size =
      request.page_size() == 0 ? kDefaultHistoryPage : request.page_size();
  const std::string prefix = UserSignalPrefix(
      request.user_id(), static_cast<uint8_t>(request.signal()));
  // The token is the key of the page's first entry, so it resumes only this
  // user's history of this signal.
  std::string begin = prefix;
  if (!request.page_token().empty() &&
      (!absl::WebSafeBase64Unescape(request.page_token(), &begin) ||
       !absl::StartsWith(begin, prefix) || begin.size() == prefix.size())) {
    return absl::InvalidArgumentError(
        "page_token: must be a next_page_token from an earlier page of this "
        "user's history of this signal");
  }

  v1::GetHistoryResponse response;
  PORTRAIT_RETURN_IF_ERROR(ScanProtos<storage::EventRecord>(
      store, Column::kEvents, begin, PrefixEnd(prefix), "an event",
      [&](absl::string_view key, storage::EventRecord& r) {
        if (response.entries_size() == page_size) {
          response.set_next_page_token(absl::WebSafeBase64Escape(key));
          return false;
        }
        v1::HistoryEntry* entry = response.add_entries();
        entry->set_event_id(r.event_id());
        entry->set_occurred_at_ms(r.occurred_at_ms());
        if (r.has_search()) entry->set_query(r.search().query());
        if (r.has_target()) {
          entry->mutable_item()->set_kind(r.target().kind());
          entry->mutable_item()->set_id(r.target().id());
        }
        if (r.has_browse()) entry->set_dwell_ms(r.browse().dwell_ms());
        return true;
      }));
  PORTRAIT_ASSIGN_OR_RETURN(v1::ConsentSnapshot consent,
                            ledger->GetConsent(request.user_id()));
  response.set_signal_state(SnapshotState(consent, request.signal()));
  return response;
}

}  // namespace portrait
