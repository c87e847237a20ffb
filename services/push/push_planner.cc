#include "services/push/push_planner.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "portrait/storage/records.pb.h"
#include "services/recommend/ranking.h"
#include "services/storage/ids.h"

namespace portrait {
namespace {

constexpr int kDefaultLimit = 3;
constexpr int64_t kDayMs = 24 * 3600 * 1000;

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::Status ValidateLimit(int limit) {
  if (limit < 0 || limit > kMaxPushCandidatesPerUser) {
    return Invalid("limit_per_user",
                   absl::StrCat("is ", limit, "; must be 0 to ",
                                kMaxPushCandidatesPerUser));
  }
  return absl::OkStatus();
}

// "312,1214": two integers.
bool IsCell(absl::string_view cell) {
  std::vector<absl::string_view> parts = absl::StrSplit(cell, ',');
  int lat = 0, lon = 0;
  return parts.size() == 2 && absl::SimpleAtoi(parts[0], &lat) &&
         absl::SimpleAtoi(parts[1], &lon) && lat >= -900 && lat <= 900 &&
         lon >= -1800 && lon <= 1800;
}

absl::Status ValidateSegment(const v1::PushSegment& segment) {
  switch (segment.segment_case()) {
    case v1::PushSegment::kAllUsers:
      if (!segment.all_users()) {
        return Invalid("segment.all_users", "must be true when set");
      }
      return absl::OkStatus();
    case v1::PushSegment::kActiveSinceMs:
      return absl::OkStatus();
    case v1::PushSegment::kLastSeenCell:
      if (!IsCell(segment.last_seen_cell())) {
        return Invalid("segment.last_seen_cell",
                       "must be a cell as GetProfile names it (\"312,1214\")");
      }
      return absl::OkStatus();
    case v1::PushSegment::SEGMENT_NOT_SET:
      break;
  }
  return Invalid("segment",
                 "must set one of all_users, active_since_ms, last_seen_cell");
}

// What a cursor is bound to.
std::string StreamIdentity(const v1::StreamPushCandidatesRequest& request) {
  return absl::StrCat(request.segment().SerializeAsString(), "/",
                      request.purpose());
}

// Whether the user is in the segment, by the data in effect.
bool InSegment(const UserPortrait& user, const v1::PushSegment& segment) {
  switch (segment.segment_case()) {
    case v1::PushSegment::kActiveSinceMs:
      for (const auto& [signal, block] : user.blocks()) {
        for (const auto& [label, affinity] : block.features) {
          if (affinity.last_ms >= segment.active_since_ms()) return true;
        }
      }
      return false;
    case v1::PushSegment::kLastSeenCell: {
      const SignalBlock* location = user.Block(v1::LOCATION);
      if (location == nullptr) return false;
      const std::string* latest = nullptr;
      int64_t latest_ms = 0;
      for (const auto& [label, affinity] : location->features) {
        if (latest == nullptr || affinity.last_ms > latest_ms ||
            (affinity.last_ms == latest_ms && label < *latest)) {
          latest = &label;
          latest_ms = affinity.last_ms;
        }
      }
      return latest != nullptr &&
             *latest == absl::StrCat("cell:", segment.last_seen_cell());
    }
    default:
      return true;
  }
}

// When the quiet hours that hold `now` end, or 0 if `now` is not in them.
int64_t QuietUntilMs(const v1::PushConfig& config, const absl::TimeZone& zone,
                     absl::Time now) {
  const int start = config.quiet_start_hour();
  const int end = config.quiet_end_hour();
  if (start == end) return 0;
  const absl::CivilHour hour = absl::ToCivilHour(now, zone);
  const int h = hour.hour();
  const bool quiet =
      start < end ? (h >= start && h < end) : (h >= start || h < end);
  if (!quiet) return 0;
  absl::CivilDay day(hour);
  if (h >= end && start > end) day += 1;  // Evening: ends tomorrow.
  const absl::CivilHour until(day.year(), day.month(), day.day(), end);
  return absl::ToUnixMillis(absl::FromCivil(until, zone));
}

}  // namespace

PushPlanner::PushPlanner(const PortraitIndex* index,
                         const ModelTrainer* trainer,
                         const PushHistory* history, const Clock* clock,
                         Options options, const CircleFetcher* circles)
    : index_(index),
      trainer_(trainer),
      history_(history),
      clock_(clock),
      options_(options),
      circles_(circles) {
  // Checked when the ranking configuration loaded.
  absl::LoadTimeZone(index_->config().proto().push().default_time_zone(),
                     &default_zone_);
}

absl::StatusOr<std::optional<v1::UserPushCandidates>> PushPlanner::ForUser(
    const std::string& user_id, v1::PushPurpose purpose, int limit,
    const v1::PushSegment* segment) const {
  // Membership first: the history is read only for users in the segment.
  if (segment != nullptr && !index_->Read([&](const IndexState& state) {
        return InSegment(state.UserOrEmpty(user_id), *segment);
      })) {
    return std::nullopt;
  }
  const int64_t now_ms = clock_->NowMillis();
  const v1::PushConfig& config = index_->config().proto().push();
  PORTRAIT_ASSIGN_OR_RETURN(UserPushes pushes,
                            history_->Read(user_id, now_ms - kDayMs + 1));
  const std::shared_ptr<const ServingModel> model =
      trainer_ != nullptr ? trainer_->current() : nullptr;
  const v1::Surface surface =
      purpose == v1::PUSH_PEOPLE ? v1::PEOPLE : v1::FEED;
  const SourceSet sources =
      purpose == v1::PUSH_NEARBY    ? SourceSet::Only({v1::NEARBY})
      : purpose == v1::PUSH_CONTENT ? SourceSet::All().Without(v1::NEARBY)
                                    : SourceSet::All();
  // The holds, then, with `circles` given, the ranking: one state's answer.
  // Without `circles`, nullopt when nothing holds the user.
  const auto plan =
      [&](const IndexState& state,
          const PeerCircles* circles) -> std::optional<v1::UserPushCandidates> {
    const UserPortrait* user = &state.UserOrEmpty(user_id);
    v1::UserPushCandidates out;
    out.set_user_id(user_id);
    const ConsentView view = index_->ViewOf(*user, now_ms);
    if (view.account_deleted()) {
      out.set_hold(v1::HOLD_ACCOUNT_DELETED);
      return out;
    }
    const bool personalized = view.PurposeEffective(v1::PERSONALIZED_PUSH);
    out.set_personalized(personalized);
    if (!personalized) {
      out.set_non_personalized_reason(
          view.PurposeEnabled(v1::PERSONALIZED_PUSH)
              ? "the user is a minor without guardian consent"
              : "PERSONALIZED_PUSH is off");
    }
    if (purpose == v1::PUSH_NEARBY &&
        !(personalized && view.PurposeEffective(v1::LOCATION_PUSH) &&
          view.Signal(v1::LOCATION).effective)) {
      out.set_personalized(false);
      if (personalized) {
        out.set_non_personalized_reason(view.Signal(v1::LOCATION).effective
                                            ? "LOCATION_PUSH is off"
                                            : "LOCATION is not granted");
      }
      out.set_hold(v1::HOLD_PURPOSE_NOT_ALLOWED);
      return out;
    }
    if (!personalized &&
        config.non_personalized() == v1::NON_PERSONALIZED_NONE) {
      out.set_hold(v1::HOLD_PURPOSE_NOT_ALLOWED);
      return out;
    }
    absl::TimeZone zone;
    const v1::Person* person = state.catalog.Person(user_id);
    if (person == nullptr || person->time_zone().empty() ||
        !absl::LoadTimeZone(person->time_zone(), &zone)) {
      zone = default_zone_;
    }
    if (const int64_t until =
            QuietUntilMs(config, zone, absl::FromUnixMillis(now_ms));
        until != 0) {
      out.set_hold(v1::HOLD_QUIET_HOURS);
      out.set_held_until_ms(until);
      return out;
    }
    if (pushes.sent_in_window >= config.max_per_day()) {
      out.set_hold(v1::HOLD_FREQUENCY_CAP);
      out.set_held_until_ms(pushes.earliest_in_window_ms + kDayMs);
      return out;
    }
    if (circles == nullptr) return std::nullopt;
    const SourceContext ctx{*index_, state,        *user,       user_id,
                            now_ms,  std::nullopt, model.get(), circles};
    RankItems(ctx, surface, personalized, sources, limit, pushes.items,
              out.mutable_candidates(), nullptr);
    return out;
  };
  const bool reads_circles = ReadsCircles(index_->config(), surface, sources);
  if (reads_circles) {
    // A held user costs the other shards no call.
    std::optional<v1::UserPushCandidates> held = index_->Read(
        [&](const IndexState& state) { return plan(state, nullptr); });
    if (held.has_value()) return held;
  }
  const PeerCircles circles =
      reads_circles ? FetchPeerCircles(circles_, *index_, user_id,
                                       v1::PERSONALIZED_PUSH, surface, now_ms)
                    : PeerCircles();
  // Read again: the holds are checked on the state the ranking reads.
  return index_->Read(
      [&](const IndexState& state) { return plan(state, &circles); });
}

absl::StatusOr<v1::GetPushCandidatesResponse> PushPlanner::GetCandidates(
    const v1::GetPushCandidatesRequest& request,
    const Cancellation& cancel) const {
  if (request.user_ids_size() < 1 ||
      request.user_ids_size() > kMaxPushUsersPerRequest) {
    return Invalid("user_ids",
                   absl::StrCat("has ", request.user_ids_size(), "; 1 to ",
                                kMaxPushUsersPerRequest, " are allowed"));
  }
  absl::flat_hash_set<absl::string_view> seen;
  for (int i = 0; i < request.user_ids_size(); ++i) {
    const std::string field = absl::StrCat("user_ids[", i, "]");
    PORTRAIT_RETURN_IF_ERROR(ValidateId(request.user_ids(i), field));
    if (!seen.insert(request.user_ids(i)).second) {
      return Invalid(field, absl::StrCat("repeats ", request.user_ids(i)));
    }
  }
  PORTRAIT_RETURN_IF_ERROR(ValidatePushPurpose(request.purpose(), "purpose"));
  PORTRAIT_RETURN_IF_ERROR(ValidateLimit(request.limit_per_user()));
  const int limit =
      request.limit_per_user() == 0 ? kDefaultLimit : request.limit_per_user();
  v1::GetPushCandidatesResponse response;
  for (const std::string& user : request.user_ids()) {
    PORTRAIT_RETURN_IF_ERROR(cancel.Check());
    PORTRAIT_ASSIGN_OR_RETURN(
        std::optional<v1::UserPushCandidates> planned,
        ForUser(user, request.purpose(), limit, /*segment=*/nullptr));
    *response.add_users() = std::move(*planned);
  }
  return response;
}

absl::Status PushPlanner::Stream(
    const v1::StreamPushCandidatesRequest& request, const Cancellation& cancel,
    const std::function<bool(const v1::UserPushCandidates&)>& emit) const {
  PORTRAIT_RETURN_IF_ERROR(ValidateSegment(request.segment()));
  PORTRAIT_RETURN_IF_ERROR(ValidatePushPurpose(request.purpose(), "purpose"));
  PORTRAIT_RETURN_IF_ERROR(ValidateLimit(request.limit_per_user()));
  const int limit =
      request.limit_per_user() == 0 ? kDefaultLimit : request.limit_per_user();
  storage::PushCursor cursor;
  cursor.set_stream(StreamIdentity(request));
  if (!request.cursor().empty()) {
    std::string bytes;
    storage::PushCursor given;
    if (!absl::WebSafeBase64Unescape(request.cursor(), &bytes) ||
        !given.ParseFromString(bytes) || given.stream() != cursor.stream()) {
      return Invalid("cursor",
                     "is not a cursor of a stream with this segment and "
                     "purpose");
    }
    cursor.set_after_user(given.after_user());
  }
  // Every user the server knows: with a portrait or consent, or in the
  // catalog as a person; in order, with repeats, from batches of the
  // smallest ids left. A batch is picked by one linear pass over what is
  // left, so the first chunk is ready without a sort of every id, and each
  // pass reads memory in order (a heap's pops, after a chunk's planning
  // has evicted it from the cache, missed it at every level).
  std::vector<std::string> left = index_->Read([](const IndexState& state) {
    std::vector<std::string> ids;
    ids.reserve(state.users.size() + state.catalog.people().size());
    for (const auto& [id, user] : state.users) ids.push_back(id);
    for (const auto& [id, person] : state.catalog.people()) ids.push_back(id);
    return ids;
  });
  std::vector<std::string> batch;
  size_t batch_next = 0;
  size_t batch_size = 1024;
  // The next user id in order, after `last`; empty when there is none.
  auto next_user = [&](const std::string& last) {
    while (true) {
      if (batch_next == batch.size()) {
        if (left.empty()) return std::string();
        // The smallest `take` ids go to the end of `left`, then to `batch`.
        const size_t take = std::min(batch_size, left.size());
        batch_size = std::min<size_t>(2 * batch_size, 16384);
        const auto first = left.end() - take;
        std::nth_element(left.begin(), first, left.end(),
                         std::greater<std::string>());
        batch.assign(std::make_move_iterator(first),
                     std::make_move_iterator(left.end()));
        left.erase(first, left.end());
        std::sort(batch.begin(), batch.end());
        batch_next = 0;
      }
      // Skips repeats and ids up to the cursor.
      std::string& id = batch[batch_next++];
      if (id > last) return std::move(id);
    }
  };
  std::string last = cursor.after_user();
  // A window of the next users in order, at most stream_chunk of them, the
  // one being sent included: a change reaches the stream at most that many
  // users later. The sending thread sends the window's first user once it
  // is planned, and otherwise plans the first user nobody plans yet;
  // threads - 1 helpers plan the window's users meanwhile.
  struct Entry {
    std::string user_id;
    enum { kWaiting, kPlanning, kPlanned } state = kWaiting;
    absl::StatusOr<std::optional<v1::UserPushCandidates>> planned;
  };
  absl::Mutex mu;
  std::deque<Entry> window;  // Entries keep their address while in it.
  bool done = false;         // Every user is in the window or sent.
  const auto refill = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    while (!done && static_cast<int>(window.size()) < options_.stream_chunk) {
      std::string id = next_user(last);
      if (id.empty()) {
        done = true;
        break;
      }
      last = id;
      window.push_back(Entry{std::move(id), Entry::kWaiting,
                             absl::InternalError("not planned")});
    }
  };
  // Plans the first waiting entry of the window, if there is one.
  const auto plan_one = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    for (Entry& entry : window) {
      if (entry.state != Entry::kWaiting) continue;
      entry.state = Entry::kPlanning;
      mu.Unlock();
      auto planned =
          ForUser(entry.user_id, request.purpose(), limit, &request.segment());
      mu.Lock();
      entry.planned = std::move(planned);
      entry.state = Entry::kPlanned;
      return true;
    }
    return false;
  };
  // A helper that found nothing to plan sleeps until a quarter of the
  // window waits, rather than waking for every user sent.
  const int wake_at = std::max(1, options_.stream_chunk / 4);
  bool stop = false;
  std::vector<std::thread> helpers;
  for (int t = 1; t < options_.threads; ++t) {
    helpers.emplace_back([&] {
      const auto work_or_stop = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
        if (stop) return true;
        int waiting = 0;
        for (const Entry& entry : window) {
          if (entry.state == Entry::kWaiting && ++waiting >= wake_at) {
            return true;
          }
        }
        return false;
      };
      absl::MutexLock lock(&mu);
      while (true) {
        mu.Await(absl::Condition(&work_or_stop));
        while (!stop && plan_one()) {
        }
        if (stop) return;
      }
    });
  }
  absl::Status status = absl::OkStatus();
  while (true) {
    if (status = cancel.Check(); !status.ok()) break;
    mu.Lock();
    refill();
    if (window.empty()) {
      mu.Unlock();
      break;
    }
    while (window.front().state != Entry::kPlanned) {
      if (!plan_one()) {
        mu.Await(absl::Condition(
            +[](Entry* e) { return e->state == Entry::kPlanned; },
            &window.front()));
      }
    }
    Entry& entry = window.front();
    mu.Unlock();
    bool more = true;
    if (!entry.planned.ok()) {
      status = entry.planned.status();
      more = false;
    } else if (std::optional<v1::UserPushCandidates>& user = *entry.planned;
               user.has_value() &&
               (request.include_empty() || user->candidates_size() > 0)) {
      cursor.set_after_user(entry.user_id);
      user->set_cursor(absl::WebSafeBase64Escape(cursor.SerializeAsString()));
      more = emit(*user);
    }
    mu.Lock();
    window.pop_front();
    mu.Unlock();
    if (!more) break;
  }
  {
    absl::MutexLock lock(&mu);
    stop = true;
  }
  for (std::thread& helper : helpers) helper.join();
  return status;
}

}  // namespace portrait
