// A user's search and browse history, paged (ProfileService.GetHistory):
// what the seed promises users they can see.
#ifndef PORTRAIT_SERVICES_RIGHTS_HISTORY_H_
#define PORTRAIT_SERVICES_RIGHTS_HISTORY_H_

#include "absl/status/statusor.h"
#include "portrait/v1/profile.pb.h"
#include "services/consent/consent_ledger.h"
#include "services/storage/store.h"

namespace portrait {

inline constexpr int kDefaultHistoryPage = 100;
inline constexpr int kMaxHistoryPage = 1000;

// One page of the user's stored SEARCH or BROWSE events, oldest first,
// frozen or not, with the signal's state. Errors: INVALID_ARGUMENT naming
// user_id, signal, page_size or page_token; storage errors; DATA_LOSS for a
// corrupt record.
absl::StatusOr<v1::GetHistoryResponse> ReadHistory(
    Store* store, ConsentLedger* ledger, const v1::GetHistoryRequest& request);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_RIGHTS_HISTORY_H_
