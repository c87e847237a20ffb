#include "tools/synth/load_world.h"

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "portrait/v1/consent.grpc.pb.h"
#include "portrait/v1/ingest.grpc.pb.h"

namespace portrait {

bool LoadWorld(const std::shared_ptr<grpc::Channel>& channel,
               SyntheticWorld& world) {
  auto ingest = v1::IngestService::NewStub(channel);
  auto consent = v1::ConsentService::NewStub(channel);
  for (const v1::UpsertItemsRequest& batch : world.Catalog()) {
    v1::UpsertItemsResponse response;
    grpc::ClientContext context;
    const grpc::Status status = ingest->UpsertItems(&context, batch, &response);
    if (!status.ok()) {
      std::fprintf(stderr, "load_world: UpsertItems failed (code %d): %s\n",
                   status.error_code(), status.error_message().c_str());
      return false;
    }
  }
  const std::vector<v1::SetConsentRequest> opt_ins = world.OptIns();
  std::atomic<size_t> next{0};
  std::atomic<size_t> refused{0};
  std::vector<std::thread> granters;
  for (int t = 0; t < 4; ++t) {
    granters.emplace_back([&] {
      for (size_t i = next++; i < opt_ins.size(); i = next++) {
        v1::SetConsentResponse response;
        grpc::ClientContext context;
        if (!consent->SetConsent(&context, opt_ins[i], &response).ok())
          ++refused;
      }
    });
  }
  for (std::thread& t : granters) t.join();
  if (refused > 0) {
    std::fprintf(stderr, "load_world: %zu of %zu opt-ins refused\n",
                 refused.load(), opt_ins.size());
    return false;
  }
  const absl::Time start = absl::Now();
  v1::StreamEventsResponse summary;
  grpc::ClientContext context;
  auto writer = ingest->StreamEvents(&context, &summary);
  world.Events(1000, [&](const std::vector<v1::Event>& batch) {
    v1::StreamEventsRequest message;
    for (const v1::Event& e : batch) *message.add_events() = e;
    writer->Write(message);
  });
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::printf(
      "ingest: %zu opt-ins; %lld events stored, %lld rejected in %.1f s "
      "(%.0f events/s)%s\n",
      opt_ins.size(), static_cast<long long>(summary.stored()),
      static_cast<long long>(summary.rejected()), seconds,
      (summary.stored() + summary.rejected()) / seconds,
      status.ok() ? "" : status.error_message().c_str());
  return status.ok();
}

}  // namespace portrait
