// portrait_demo: a small client that shows a running portraitd working.
// Registers a few catalog items, sends behaviour events for some users
// (batched unary calls and a stream), sends one batch again to show that
// retries store nothing twice, then reads the stored counts back and checks
// them. Exits non-zero if anything differs from what it sent.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "portrait/v1/consent.grpc.pb.h"
#include "portrait/v1/ingest.grpc.pb.h"
#include "portrait/v1/profile.grpc.pb.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "portraitd address");
ABSL_FLAG(int, users, 5, "users to send events for");
ABSL_FLAG(int, events_per_user, 200, "events per user");

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
    std::printf("%s: StreamEvents (%lld messages) stored %lld, duplicates %lld\n",
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

// A fresh user strips LIKE: the events go at once, a late LIKE is refused,
// and the receipt completes when the bytes are compacted off disk.
bool ShowRevocation(v1::IngestService::Stub& ingest,
                    v1::ProfileService::Stub& profile,
                    v1::ConsentService::Stub& consent, int64_t now_ms) {
  const std::string user = absl::StrCat("demo-revoker-", now_ms);
  v1::RecordEventsRequest events;
  for (int i = 0; i < 40; ++i) *events.add_events() = MakeEvent(user, i, now_ms);
  v1::RecordEventsResponse recorded;
  {
    grpc::ClientContext context;
    if (!Check(ingest.RecordEvents(&context, events, &recorded), "RecordEvents")) {
      return false;
    }
  }
  std::printf("-- %s: %lld LIKE events stored; the user switches LIKE off "
              "(STRIP) --\n",
              user.c_str(), static_cast<long long>(CountOf(profile, user, v1::LIKE)));
  v1::SetConsentRequest request;
  request.set_user_id(user);
  request.set_requester(v1::REQUESTER_USER);
  request.set_caller_id("portrait-demo");
  request.set_request_id("demo-strip-like");
  request.set_policy_version(1);
  request.add_changes()->mutable_signal()->set_signal(v1::LIKE);
  v1::SetConsentResponse response;
  {
    grpc::ClientContext context;
    if (!Check(consent.SetConsent(&context, request, &response), "SetConsent")) {
      return false;
    }
  }
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
    std::fprintf(stderr, "portrait_demo: stored counts differ from the %d "
                 "events sent per user\n", per_user);
    return EXIT_FAILURE;
  }
  std::printf("OK: every user has exactly the %d events sent, once\n",
              per_user);
  if (!ShowRevocation(*ingest, *profile, *consent, now_ms)) {
    std::fprintf(stderr, "portrait_demo: the revocation did not behave\n");
    return EXIT_FAILURE;
  }
  std::printf("OK: revoked data is gone, new data refused, erasure complete\n");
  return EXIT_SUCCESS;
}

}  // namespace
}  // namespace portrait

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return portrait::Run();
}
