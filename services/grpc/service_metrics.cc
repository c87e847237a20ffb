#include "services/grpc/service_metrics.h"

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "portrait/v1/common.pb.h"

namespace portrait {
namespace {

using grpc::experimental::InterceptionHookPoints;

class CallMetrics final : public grpc::experimental::Interceptor {
 public:
  CallMetrics(grpc::experimental::ServerRpcInfo* info, ServiceMetrics* metrics)
      : info_(info), metrics_(metrics), start_(absl::Now()) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      metrics_->CountCall(info_->method(),
                          methods->GetSendStatus().error_code(),
                          absl::ToDoubleSeconds(absl::Now() - start_));
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* const info_;
  ServiceMetrics* const metrics_;
  const absl::Time start_;
};

}  // namespace

ServiceMetrics::ServiceMetrics(Metrics* metrics)
    : calls_(metrics->AddCounter("portrait_rpc_requests_total",
                                 "Finished gRPC calls by method and status.",
                                 {"method", "code"})),
      call_seconds_(metrics->AddHistogram(
          "portrait_rpc_duration_seconds",
          "Time from a call's start to its status, by method.", {"method"},
          {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
           2.5, 5, 10})),
      events_(metrics->AddCounter(
          "portrait_ingest_events_total",
          "Events answered by RecordEvents, StreamEvents and "
          "RecordPushFeedback, by outcome and rejection reason.",
          {"outcome", "reason"})),
      consent_changes_(metrics->AddCounter(
          "portrait_consent_changes_total",
          "Consent changes applied by SetConsent (not replays), by change and "
          "by the revocation action applied.",
          {"change", "action"})),
      deletions_(metrics->AddCounter(
          "portrait_deletions_total",
          "DeleteRecord and DeleteUser calls applied (not replays).",
          {"kind"})) {}

void ServiceMetrics::CountCall(const std::string& method, grpc::StatusCode code,
                               double seconds) {
  // gRPC's codes are absl's, number for number and name for name.
  calls_->Add(
      {method, absl::StatusCodeToString(static_cast<absl::StatusCode>(code))});
  call_seconds_->Observe({method}, seconds);
}

void ServiceMetrics::CountEvents(
    const google::protobuf::RepeatedPtrField<v1::EventResult>& results) {
  int64_t stored = 0, duplicates = 0;
  for (const v1::EventResult& result : results) {
    switch (result.outcome()) {
      case v1::STORED:
        ++stored;
        break;
      case v1::DUPLICATE:
        ++duplicates;
        break;
      default:
        events_->Add({"rejected", v1::RejectReason_Name(result.reason())});
        break;
    }
  }
  if (stored > 0) events_->Add({"stored", ""}, stored);
  if (duplicates > 0) events_->Add({"duplicate", ""}, duplicates);
}

void ServiceMetrics::CountConsent(const v1::SetConsentRequest& request,
                                  const v1::SetConsentResponse& response) {
  if (response.replayed()) return;
  for (const v1::ConsentChange& change : request.changes()) {
    const auto* field = v1::ConsentChange::descriptor()->FindFieldByNumber(
        change.change_case());
    std::string kind = field != nullptr ? field->name() : "unset";
    std::string action;
    if (change.has_signal()) {
      kind = change.signal().grant() ? "signal_grant" : "signal_revoke";
      for (const v1::ErasureComponent& c : response.receipt().components()) {
        if (!change.signal().grant() &&
            c.signal() == change.signal().signal()) {
          action = v1::RevocationAction_Name(c.action());
          break;
        }
      }
    }
    consent_changes_->Add({kind, action});
  }
}

void ServiceMetrics::CountDeletion(absl::string_view kind) {
  deletions_->Add({std::string(kind)});
}

grpc::experimental::Interceptor* CallMetricsFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new CallMetrics(info, metrics_);
}

}  // namespace portrait
