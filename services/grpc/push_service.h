// gRPC adapter of PushService over PushPlanner, PushHistory, CheckInDesk and
// the event write path (push feedback).
#ifndef PORTRAIT_SERVICES_GRPC_PUSH_SERVICE_H_
#define PORTRAIT_SERVICES_GRPC_PUSH_SERVICE_H_

#include "portrait/v1/push.grpc.pb.h"
#include "services/grpc/call_limiter.h"
#include "services/grpc/service_metrics.h"
#include "services/grpc/shard_guard.h"
#include "services/ingest/event_ingestor.h"
#include "services/push/check_in.h"
#include "services/push/push_history.h"
#include "services/push/push_planner.h"

namespace portrait {

// Thread-safe. All must outlive it.
class PushServiceImpl final : public v1::PushService::Service {
 public:
  PushServiceImpl(const PushPlanner* planner, PushHistory* history,
                  CheckInDesk* check_in, EventIngestor* ingestor,
                  CallLimits* limits, ServiceMetrics* metrics,
                  const ShardGuard* shard);

  grpc::Status GetPushCandidates(
      grpc::ServerContext* context, const v1::GetPushCandidatesRequest* request,
      v1::GetPushCandidatesResponse* response) override;
  grpc::Status StreamPushCandidates(
      grpc::ServerContext* context,
      const v1::StreamPushCandidatesRequest* request,
      grpc::ServerWriter<v1::UserPushCandidates>* writer) override;
  grpc::Status RecordPushes(grpc::ServerContext* context,
                            const v1::RecordPushesRequest* request,
                            v1::RecordPushesResponse* response) override;
  grpc::Status RecordPushFeedback(grpc::ServerContext* context,
                                  const v1::RecordPushFeedbackRequest* request,
                                  v1::RecordEventsResponse* response) override;
  grpc::Status CheckIn(grpc::ServerContext* context,
                       const v1::CheckInRequest* request,
                       v1::CheckInResponse* response) override;

 private:
  const ShardGuard* const shard_;
  const PushPlanner* const planner_;
  PushHistory* const history_;
  CheckInDesk* const check_in_;
  EventIngestor* const ingestor_;
  CallLimits* const limits_;
  ServiceMetrics* const metrics_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_GRPC_PUSH_SERVICE_H_
