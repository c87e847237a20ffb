// gRPC adapter of IngestService: translates calls to EventIngestor and
// CatalogWriter and their Status to grpc::Status. No logic of its own.
#ifndef PORTRAIT_SERVICES_GRPC_INGEST_SERVICE_H_
#define PORTRAIT_SERVICES_GRPC_INGEST_SERVICE_H_

#include "portrait/v1/ingest.grpc.pb.h"
#include "services/grpc/call_limiter.h"
#include "services/grpc/service_metrics.h"
#include "services/grpc/shard_guard.h"
#include "services/ingest/catalog_writer.h"
#include "services/ingest/event_ingestor.h"

namespace portrait {

// Thread-safe. `ingestor` and `catalog` must outlive it.
class IngestServiceImpl final : public v1::IngestService::Service {
 public:
  IngestServiceImpl(EventIngestor* ingestor, CatalogWriter* catalog,
                    CallLimits* limits, ServiceMetrics* metrics,
                    const ShardGuard* shard);

  grpc::Status RecordEvents(grpc::ServerContext* context,
                            const v1::RecordEventsRequest* request,
                            v1::RecordEventsResponse* response) override;
  grpc::Status StreamEvents(grpc::ServerContext* context,
                            grpc::ServerReader<v1::StreamEventsRequest>* reader,
                            v1::StreamEventsResponse* response) override;
  grpc::Status UpsertItems(grpc::ServerContext* context,
                           const v1::UpsertItemsRequest* request,
                           v1::UpsertItemsResponse* response) override;
  grpc::Status DeleteItems(grpc::ServerContext* context,
                           const v1::DeleteItemsRequest* request,
                           v1::DeleteItemsResponse* response) override;

 private:
  const ShardGuard* const shard_;
  EventIngestor* const ingestor_;
  CatalogWriter* const catalog_;
  CallLimits* const limits_;
  ServiceMetrics* const metrics_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_GRPC_INGEST_SERVICE_H_
