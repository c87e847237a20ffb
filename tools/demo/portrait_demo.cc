// portrait_demo: a small client that shows a running portraitd working.
// Registers a few catalog items, sends behaviour events for some users
// (batched unary calls and a stream), sends one batch again to show that
// retries store nothing twice, then reads the stored counts back and checks
// them. Then shows a feed: a small community world where readers like jazz,
// hiking or coffee posts, one new reader who likes jazz and browses hiking,
// that reader's feed with its reasons, and the feed again after the reader
// switches LIKE off (STRIP): no item may cite LIKE any more. Exits non-zero if
// anything differs from what it sent or a revoked signal is cited.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "portrait/v1/consent.grpc.pb.h"
#include "portrait/v1/ingest.grpc.pb.h"
#include "portrait/v1/profile.grpc.pb.h"
#include "portrait/v1/recommend.grpc.pb.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "portraitd address");
ABSL_FLAG(int, users, 5, "users to send events for");
ABSL_FLAG(int, events_per_user, 200, "events per user");
ABSL_FLAG(int, model_wait_s, 60,
          "seconds to wait for a model version that has seen the feed "
          "world (portraitd retrains after --retrain_after_s)");

namespace portrait {
namespace {

constexpr v1::Signal kSignals[] = {v1::LIKE, v1::BROWSE, v1::FAVORITE,
                                   v1::FOLLOW};

v1::Event MakeEvent(const std::string& user, int i, int64_t now_ms) {
  v1::Event e;
  e.set_event_id(absl::StrCat("demo-", user, "-", i));
  e.set_user_id(user);
  e.set_signal(kSignals[i % 4]);
  e.set_occurred_at_ms(now_ms - 60'000 + i);
  if (e.signal() == v1::FOLLOW) {
    e.mutable_target()->set_kind(v1::ITEM_BRAND);
    e.mutable_target()->set_id(absl::StrCat("brand-", i % 3));
  } else {
    e.mutable_target()->set_kind(v1::ITEM_POST);
    e.mutable_target()->set_id(absl::StrCat("post-", i % 20));
  }
  return e;
}

bool Check(const grpc::Status& status, const char* what) {
  if (status.ok()) return true;
  std::fprintf(stderr, "portrait_demo: %s failed: %s: %s\n", what,
               std::to_string(status.error_code()).c_str(),
               status.error_message().c_str());
  return false;
}

bool UpsertCatalog(v1::IngestService::Stub& ingest, int64_t now_ms) {
  v1::UpsertItemsRequest request;
  for (int b = 0; b < 3; ++b) {
    v1::Brand* brand = request.add_items()->mutable_brand();
    brand->set_brand_id(absl::StrCat("brand-", b));
    brand->set_name(absl::StrCat("Brand ", b));
  }
  for (int p = 0; p < 20; ++p) {
    v1::Post* post = request.add_items()->mutable_post();
    post->set_post_id(absl::StrCat("post-", p));
    post->set_brand_id(absl::StrCat("brand-", p % 3));
    post->set_created_at_ms(now_ms - 3'600'000);
  }
  v1::UpsertItemsResponse response;
  grpc::ClientContext context;
  if (!Check(ingest.UpsertItems(&context, request, &response), "UpsertItems")) {
    return false;
  }
  std::printf("catalog: %d items upserted\n", response.upserted());
  return true;
}

// Odd users go through RecordEvents, even ones through StreamEvents.
bool SendEvents(v1::IngestService::Stub& ingest, int users, int per_user,
                int64_t now_ms) {
  for (int u = 0; u < users; ++u) {
    std::string user = absl::StrCat("demo-user-", u);
    if (u % 2 == 1) {
      v1::RecordEventsRequest request;
      for (int i = 0; i < per_user; ++i) {
        *request.add_events() = MakeEvent(user, i, now_ms);
      }
      v1::RecordEventsResponse response;
      grpc::ClientContext context;
      if (!Check(ingest.RecordEvents(&context, request, &response),
                 "RecordEvents")) {
        return false;
      }
      std::printf("%s: RecordEvents stored %d, duplicates %d\n", user.c_str(),
                  response.stored(), response.duplicates());
      continue;
    }
    v1::StreamEventsResponse summary;
    grpc::ClientContext context;
    auto writer = ingest.StreamEvents(&context, &summary);
    for (int i = 0; i < per_user; i += 50) {
      v1::StreamEventsRequest message;
      for (int j = i; j < per_user && j < i + 50; ++j) {
        *message.add_events() = MakeEvent(user, j, now_ms);
      }
      if (!writer->Write(message)) break;
    }
    writer->WritesDone();
    if (!Check(writer->Finish(), "StreamEvents")) return false;
    std::printf(
        "%s: StreamEvents (%lld messages) stored %lld, duplicates %lld\n",
        user.c_str(), static_cast<long long>(summary.messages()),
        static_cast<long long>(summary.stored()),
        static_cast<long long>(summary.duplicates()));
  }
  return true;
}

int64_t CountOf(v1::ProfileService::Stub& profile, const std::string& user,
                v1::Signal signal) {
  v1::GetEventSummaryRequest request;
  request.set_user_id(user);
  v1::GetEventSummaryResponse response;
  grpc::ClientContext context;
  if (!Check(profile.GetEventSummary(&context, request, &response),
             "GetEventSummary")) {
    return -1;
  }
  for (const v1::SignalEventSummary& s : response.signals()) {
    if (s.signal() == signal) return s.count();
  }
  return 0;
}

// The user switches LIKE off (STRIP, the signal's default revocation).
bool StripLike(v1::ConsentService::Stub& consent, const std::string& user,
               const std::string& request_id,
               v1::SetConsentResponse* response) {
  v1::SetConsentRequest request;
  request.set_user_id(user);
  request.set_requester(v1::REQUESTER_USER);
  request.set_caller_id("portrait-demo");
  request.set_request_id(request_id);
  request.set_policy_version(1);
  request.add_changes()->mutable_signal()->set_signal(v1::LIKE);
  grpc::ClientContext context;
  return Check(consent.SetConsent(&context, request, response), "SetConsent");
}

// A fresh user strips LIKE: the events go at once, a late LIKE is refused,
// and the receipt completes when the bytes are compacted off disk.
bool ShowRevocation(v1::IngestService::Stub& ingest,
                    v1::ProfileService::Stub& profile,
                    v1::ConsentService::Stub& consent, int64_t now_ms) {
  const std::string user = absl::StrCat("demo-revoker-", now_ms);
  v1::RecordEventsRequest events;
  for (int i = 0; i < 40; ++i)
    *events.add_events() = MakeEvent(user, i, now_ms);
  v1::RecordEventsResponse recorded;
  {
    grpc::ClientContext context;
    if (!Check(ingest.RecordEvents(&context, events, &recorded),
               "RecordEvents")) {
      return false;
    }
  }
  std::printf(
      "-- %s: %lld LIKE events stored; the user switches LIKE off "
      "(STRIP) --\n",
      user.c_str(), static_cast<long long>(CountOf(profile, user, v1::LIKE)));
  v1::SetConsentResponse response;
  if (!StripLike(consent, user, "demo-strip-like", &response)) return false;
  const int64_t left = CountOf(profile, user, v1::LIKE);
  std::printf("receipt %s; LIKE events stored now: %lld\n",
              response.receipt_id().c_str(), static_cast<long long>(left));
  v1::RecordEventsRequest late;
  *late.add_events() = MakeEvent(user, 1000, now_ms);  // i % 4 == 0: LIKE.
  v1::RecordEventsResponse refused;
  {
    grpc::ClientContext context;
    if (!Check(ingest.RecordEvents(&context, late, &refused), "RecordEvents")) {
      return false;
    }
  }
  std::printf("a new LIKE event: %s (%s)\n",
              v1::EventOutcome_Name(refused.results(0).outcome()).c_str(),
              v1::RejectReason_Name(refused.results(0).reason()).c_str());
  v1::GetErasureStatusRequest status_request;
  status_request.set_receipt_id(response.receipt_id());
  v1::GetErasureStatusResponse status;
  for (int i = 0; i < 100 && !status.complete(); ++i) {
    grpc::ClientContext context;
    if (!Check(consent.GetErasureStatus(&context, status_request, &status),
               "GetErasureStatus")) {
      return false;
    }
    if (!status.complete()) absl::SleepFor(absl::Milliseconds(50));
  }
  for (const v1::ErasureComponent& c : status.receipt().components()) {
    std::printf("  %-20s %s\n", c.component().c_str(),
                v1::ErasureState_Name(c.state()).c_str());
  }
  return left == 0 && refused.results(0).reason() == v1::SIGNAL_STRIPPED &&
         status.complete();
}

// The feed world: three topics, each with posts by its own brand, and
// readers who like and browse their topic's posts. Fixed ids, so that a rerun
// against the same database stores nothing twice.
constexpr const char* kTopics[] = {"jazz", "hiking", "coffee"};
constexpr int kPostsPerTopic = 8;
constexpr int kReadersPerTopic = 12;

std::string TopicPost(int topic, int p) {
  return absl::StrCat("feed-", kTopics[topic], "-", p);
}

v1::Event Engagement(const std::string& id, const std::string& user,
                     v1::Signal signal, const std::string& post,
                     int64_t at_ms) {
  v1::Event e;
  e.set_event_id(id);
  e.set_user_id(user);
  e.set_signal(signal);
  e.mutable_target()->set_kind(v1::ITEM_POST);
  e.mutable_target()->set_id(post);
  e.set_occurred_at_ms(at_ms);
  return e;
}

bool LoadFeedWorld(v1::IngestService::Stub& ingest, int64_t now_ms) {
  v1::UpsertItemsRequest catalog;
  for (int t = 0; t < 3; ++t) {
    v1::Brand* brand = catalog.add_items()->mutable_brand();
    brand->set_brand_id(absl::StrCat("feed-brand-", kTopics[t]));
    brand->set_name(kTopics[t]);
    for (int p = 0; p < kPostsPerTopic; ++p) {
      v1::Post* post = catalog.add_items()->mutable_post();
      post->set_post_id(TopicPost(t, p));
      post->set_brand_id(absl::StrCat("feed-brand-", kTopics[t]));
      post->add_tags(kTopics[t]);
      post->set_created_at_ms(now_ms - 7'200'000);
    }
  }
  v1::UpsertItemsResponse upserted;
  grpc::ClientContext catalog_context;
  if (!Check(ingest.UpsertItems(&catalog_context, catalog, &upserted),
             "UpsertItems")) {
    return false;
  }
  // Reader r of topic t likes 5 of the topic's 8 posts; a fixed time, so
  // that a rerun sends the same events (duplicates, stored once).
  const int64_t at_ms = now_ms - (now_ms % 86'400'000) - 3'600'000;
  v1::RecordEventsRequest events;
  for (int t = 0; t < 3; ++t) {
    for (int r = 0; r < kReadersPerTopic; ++r) {
      const std::string reader =
          absl::StrCat("feed-reader-", kTopics[t], "-", r);
      for (int k = 0; k < 5; ++k) {
        const int p = (r + 3 * k) % kPostsPerTopic;
        *events.add_events() = Engagement(absl::StrCat(reader, "-", p), reader,
                                          r % 2 ? v1::LIKE : v1::BROWSE,
                                          TopicPost(t, p), at_ms + k);
      }
    }
  }
  v1::RecordEventsResponse recorded;
  grpc::ClientContext context;
  if (!Check(ingest.RecordEvents(&context, events, &recorded),
             "RecordEvents")) {
    return false;
  }
  std::printf(
      "-- feed world: %d posts in 3 topics, %d readers; %d events "
      "stored, %d already there --\n",
      3 * kPostsPerTopic, 3 * kReadersPerTopic, recorded.stored(),
      recorded.duplicates());
  return true;
}

absl::StatusOr<v1::RecommendResponse> Feed(
    v1::RecommendService::Stub& recommend, const std::string& user, int limit) {
  v1::RecommendRequest request;
  request.set_user_id(user);
  request.set_surface(v1::FEED);
  request.set_limit(limit);
  v1::RecommendResponse response;
  grpc::ClientContext context;
  const grpc::Status status = recommend.Recommend(&context, request, &response);
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("Recommend: ", status.error_message()));
  }
  return response;
}

bool Cites(const v1::RecommendedItem& item, v1::Signal signal) {
  for (const v1::Reason& reason : item.reasons()) {
    for (int s : reason.signals()) {
      if (s == signal) return true;
    }
  }
  return false;
}

void PrintFeed(const v1::RecommendResponse& feed) {
  for (const v1::RecommendedItem& item : feed.items()) {
    std::string reasons;
    for (const v1::Reason& reason : item.reasons()) {
      absl::StrAppend(&reasons, reasons.empty() ? "" : ", ",
                      v1::ReasonSource_Name(reason.source()));
      std::string signals;
      for (int s : reason.signals()) {
        absl::StrAppend(&signals, signals.empty() ? "" : "+",
                        v1::Signal_Name(static_cast<v1::Signal>(s)));
      }
      if (!signals.empty()) absl::StrAppend(&reasons, " (", signals, ")");
    }
    std::printf("  %-22s %.3f  %s\n", item.item().id().c_str(), item.score(),
                reasons.c_str());
  }
}

// Waits until a trained model version knows the feed world: a reader of
// the world gets an EMBEDDING reason.
bool WaitForModel(v1::RecommendService::Stub& recommend) {
  const absl::Time deadline =
      absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_model_wait_s));
  while (absl::Now() < deadline) {
    absl::StatusOr<v1::RecommendResponse> feed =
        Feed(recommend, "feed-reader-jazz-1", 10);
    if (!feed.ok()) return false;
    for (const v1::RecommendedItem& item : feed->items()) {
      for (const v1::Reason& reason : item.reasons()) {
        if (reason.source() == v1::EMBEDDING) return true;
      }
    }
    absl::SleepFor(absl::Milliseconds(500));
  }
  std::fprintf(stderr,
               "portrait_demo: no model version that has seen the feed "
               "world within %d s\n",
               absl::GetFlag(FLAGS_model_wait_s));
  return false;
}

// A new reader likes three jazz posts and browses three hiking posts; shows
// the feed, STRIPs LIKE, shows the feed again.
bool ShowFeed(v1::IngestService::Stub& ingest,
              v1::ConsentService::Stub& consent,
              v1::RecommendService::Stub& recommend, int64_t now_ms) {
  if (!LoadFeedWorld(ingest, now_ms) || !WaitForModel(recommend)) return false;
  const std::string user = absl::StrCat("demo-listener-", now_ms);
  v1::RecordEventsRequest events;
  for (int p = 0; p < 3; ++p) {
    *events.add_events() =
        Engagement(absl::StrCat(user, "-like-", p), user, v1::LIKE,
                   TopicPost(0, p), now_ms - 1000 + p);
    *events.add_events() =
        Engagement(absl::StrCat(user, "-browse-", p), user, v1::BROWSE,
                   TopicPost(1, p), now_ms - 900 + p);
  }
  v1::RecordEventsResponse recorded;
  {
    grpc::ClientContext context;
    if (!Check(ingest.RecordEvents(&context, events, &recorded),
               "RecordEvents")) {
      return false;
    }
  }
  absl::StatusOr<v1::RecommendResponse> before = Feed(recommend, user, 8);
  if (!before.ok()) return false;
  std::printf(
      "-- %s liked 3 jazz posts and browsed 3 hiking posts; their "
      "feed (%s): --\n",
      user.c_str(),
      before->personalized() ? "personalised" : "not personalised");
  PrintFeed(*before);
  v1::SetConsentResponse response;
  if (!StripLike(consent, user, "demo-feed-strip-like", &response))
    return false;
  absl::StatusOr<v1::RecommendResponse> after = Feed(recommend, user, 8);
  if (!after.ok()) return false;
  std::printf(
      "-- the same user switched LIKE off (STRIP, receipt %s); the "
      "feed at once: --\n",
      response.receipt_id().c_str());
  PrintFeed(*after);
  bool cited_before = false;
  for (const v1::RecommendedItem& item : before->items()) {
    cited_before |= Cites(item, v1::LIKE);
  }
  for (const v1::RecommendedItem& item : after->items()) {
    if (Cites(item, v1::LIKE)) {
      std::fprintf(stderr, "portrait_demo: %s still cites LIKE\n",
                   item.item().id().c_str());
      return false;
    }
  }
  return cited_before && !after->items().empty();
}

int Run() {
  auto channel = grpc::CreateChannel(absl::GetFlag(FLAGS_server),
                                     grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                 std::chrono::seconds(10))) {
    std::fprintf(stderr, "portrait_demo: cannot connect to %s\n",
                 absl::GetFlag(FLAGS_server).c_str());
    return EXIT_FAILURE;
  }
  auto ingest = v1::IngestService::NewStub(channel);
  auto profile = v1::ProfileService::NewStub(channel);
  auto consent = v1::ConsentService::NewStub(channel);
  auto recommend = v1::RecommendService::NewStub(channel);
  const int users = absl::GetFlag(FLAGS_users);
  const int per_user = std::min(absl::GetFlag(FLAGS_events_per_user), 1000);
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());

  if (!UpsertCatalog(*ingest, now_ms)) return EXIT_FAILURE;
  if (!SendEvents(*ingest, users, per_user, now_ms)) return EXIT_FAILURE;
  std::printf("-- sending everything again (a retry must store nothing) --\n");
  if (!SendEvents(*ingest, users, per_user, now_ms)) return EXIT_FAILURE;

  bool all_match = true;
  for (int u = 0; u < users; ++u) {
    v1::GetEventSummaryRequest request;
    request.set_user_id(absl::StrCat("demo-user-", u));
    v1::GetEventSummaryResponse response;
    grpc::ClientContext context;
    if (!Check(profile->GetEventSummary(&context, request, &response),
               "GetEventSummary")) {
      return EXIT_FAILURE;
    }
    std::string line;
    for (const v1::SignalEventSummary& s : response.signals()) {
      absl::StrAppend(&line, " ", v1::Signal_Name(s.signal()), "=", s.count());
    }
    std::printf("%s: %lld events stored:%s\n", request.user_id().c_str(),
                static_cast<long long>(response.total_events()), line.c_str());
    all_match = all_match && response.total_events() == per_user;
  }
  if (!all_match) {
    std::fprintf(stderr,
                 "portrait_demo: stored counts differ from the %d "
                 "events sent per user\n",
                 per_user);
    return EXIT_FAILURE;
  }
  std::printf("OK: every user has exactly the %d events sent, once\n",
              per_user);
  if (!ShowRevocation(*ingest, *profile, *consent, now_ms)) {
    std::fprintf(stderr, "portrait_demo: the revocation did not behave\n");
    return EXIT_FAILURE;
  }
  std::printf("OK: revoked data is gone, new data refused, erasure complete\n");
  if (!ShowFeed(*ingest, *consent, *recommend, now_ms)) {
    std::fprintf(stderr, "portrait_demo: the feed did not behave\n");
    return EXIT_FAILURE;
  }
  std::printf("OK: the feed cited LIKE before the revocation and not after\n");
  return EXIT_SUCCESS;
}

}  // namespace
}  // namespace portrait

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return portrait::Run();
}
