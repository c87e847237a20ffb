#include "services/profile/event_summary.h"

#include <map>
#include <string>

#include "base/status_macros.h"
#include "services/storage/ids.h"
#include "services/storage/keys.h"

namespace portrait {

absl::StatusOr<v1::GetEventSummaryResponse> SummarizeEvents(
    Store* store, absl::string_view user_id, const Cancellation& cancel) {
  PORTRAIT_RETURN_IF_ERROR(ValidateId(user_id, "user_id"));
  std::string begin = UserPrefix(user_id);
  std::map<int, v1::SignalEventSummary> by_signal;
  absl::Status stopped;
  int64_t scanned = 0;
  PORTRAIT_RETURN_IF_ERROR(
      store->Scan(Column::kEvents, begin, PrefixEnd(begin),
                  [&](absl::string_view key, absl::string_view) {
                    if (++scanned % kEventsPerCancellationCheck == 0) {
                      stopped = cancel.Check();
                      if (!stopped.ok()) return false;
                    }
                    absl::StatusOr<EventKeyParts> parts = ParseEventKey(key);
                    if (!parts.ok()) {
                      stopped = parts.status();
                      return false;
                    }
                    v1::SignalEventSummary& s = by_signal[parts->signal];
                    if (s.count() == 0) {
                      s.set_signal(static_cast<v1::Signal>(parts->signal));
                      s.set_oldest_ms(parts->occurred_at_ms);
                    }
                    // Keys of one signal are in time order.
                    s.set_newest_ms(parts->occurred_at_ms);
                    s.set_count(s.count() + 1);
                    return true;
                  }));
  PORTRAIT_RETURN_IF_ERROR(stopped);
  v1::GetEventSummaryResponse response;
  response.set_user_id(std::string(user_id));
  for (auto& [signal, summary] : by_signal) {
    response.set_total_events(response.total_events() + summary.count());
    *response.add_signals() = std::move(summary);
  }
  return response;
}

}  // namespace portrait
