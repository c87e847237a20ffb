// ServiceMetrics: what the gRPC adapters count (base/metrics.h): every
// finished call by method and status code with its latency (an interceptor),
// ingested events by outcome and rejection reason, consent changes by kind
// and action, deletions. Names and labels: docs/OPERATIONS.md#metrics.
// Labels hold method names, codes and enum names only, never a user id.
#ifndef PORTRAIT_SERVICES_GRPC_SERVICE_METRICS_H_
#define PORTRAIT_SERVICES_GRPC_SERVICE_METRICS_H_

#include <grpcpp/support/server_interceptor.h>

#include "base/metrics.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "portrait/v1/consent.pb.h"
#include "portrait/v1/ingest.pb.h"

namespace portrait {

class ServiceMetrics {
 public:
  // Declares the families in `metrics`, which must outlive this.
  explicit ServiceMetrics(Metrics* metrics);

  void CountCall(const std::string& method, grpc::StatusCode code,
                 double seconds);
  void CountEvents(
      const google::protobuf::RepeatedPtrField<v1::EventResult>& results);
  // A SetConsent that was applied (not replayed).
  void CountConsent(const v1::SetConsentRequest& request,
                    const v1::SetConsentResponse& response);
  // "record" or "account", applied (not replayed).
  void CountDeletion(absl::string_view kind);

 private:
  Counter* const calls_;
  Histogram* const call_seconds_;
  Counter* const events_;
  Counter* const consent_changes_;
  Counter* const deletions_;
};

// Counts every finished call into `metrics`, which must outlive the server.
class CallMetricsFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallMetricsFactory(ServiceMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  ServiceMetrics* const metrics_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_GRPC_SERVICE_METRICS_H_
