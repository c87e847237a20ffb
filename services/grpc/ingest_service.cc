#include "services/grpc/ingest_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/grpc/access_control.h"
#include "services/grpc/status_conversion.h"

namespace portrait {
namespace {

// How many rejected events a stream summary lists.
constexpr int kMaxStreamRejections = 1000;

}  // namespace

IngestServiceImpl::IngestServiceImpl(EventIngestor* ingestor,
                                     CatalogWriter* catalog, CallLimits* limits,
                                     ServiceMetrics* metrics,
                                     const ShardGuard* shard)
    : shard_(shard),
      ingestor_(ingestor),
      catalog_(catalog),
      limits_(limits),
      metrics_(metrics) {}

grpc::Status IngestServiceImpl::RecordEvents(
    grpc::ServerContext* context, const v1::RecordEventsRequest* request,
    v1::RecordEventsResponse* response) {
  if (grpc::Status routed = shard_->UserCall(*context, *request); !routed.ok())
    return routed;
  return AnswerWithin(
      limits_->writes, *context,
      [&](const Cancellation&) {
        absl::StatusOr<v1::RecordEventsResponse> answer =
            ingestor_->Record(request->events());
        if (answer.ok()) metrics_->CountEvents(answer->results());
        return answer;
      },
      response);
}

grpc::Status IngestServiceImpl::StreamEvents(
    grpc::ServerContext* context,
    grpc::ServerReader<v1::StreamEventsRequest>* reader,
    v1::StreamEventsResponse* response) {
  absl::StatusOr<PerCallerLimiter::Slot> stream =
      limits_->streams.Enter(CallerIdentity(*context));
  if (!stream.ok()) return ToGrpcStatus(stream.status());
  absl::StatusOr<CallLimiter::Slot> slot = limits_->writes.Enter();
  if (!slot.ok()) return ToGrpcStatus(slot.status());
  const CallCancellation call(*context);
  v1::StreamEventsRequest message;
  while (reader->Read(&message)) {
    // Once nobody waits, a message read is not recorded: as if never sent.
    const absl::Status wanted = call.Check();
    if (grpc::Status routed = shard_->UserCall(*context, message);
        !routed.ok()) {
      return grpc::Status(
          routed.error_code(),
          absl::StrCat("message ", response->messages(), " of the stream (",
                       response->messages(),
                       " earlier messages stored): ", routed.error_message()));
    }
    absl::StatusOr<v1::RecordEventsResponse> result =
        wanted.ok() ? ingestor_->Record(message.events()) : wanted;
    if (!result.ok()) {
      return ToGrpcStatus(absl::Status(
          result.status().code(),
          absl::StrCat("message ", response->messages(), " of the stream (",
                       response->messages(), " earlier messages stored): ",
                       result.status().message())));
    }
    metrics_->CountEvents(result->results());
    response->set_messages(response->messages() + 1);
    response->set_stored(response->stored() + result->stored());
    response->set_duplicates(response->duplicates() + result->duplicates());
    response->set_rejected(response->rejected() + result->rejected());
    for (v1::EventResult& r : *result->mutable_results()) {
      if (r.outcome() != v1::REJECTED) continue;
      if (response->rejections_size() >= kMaxStreamRejections) break;
      *response->add_rejections() = std::move(r);
    }
  }
  return grpc::Status::OK;
}

grpc::Status IngestServiceImpl::UpsertItems(
    grpc::ServerContext* context, const v1::UpsertItemsRequest* request,
    v1::UpsertItemsResponse* response) {
  if (grpc::Status routed = shard_->ShardCall(*context); !routed.ok())
    return routed;
  return AnswerWithin(
      limits_->writes, *context,
      [&](const Cancellation&) { return catalog_->Upsert(*request); },
      response);
}

grpc::Status IngestServiceImpl::DeleteItems(
    grpc::ServerContext* context, const v1::DeleteItemsRequest* request,
    v1::DeleteItemsResponse* response) {
  if (grpc::Status routed = shard_->ShardCall(*context); !routed.ok())
    return routed;
  return AnswerWithin(
      limits_->writes, *context,
      [&](const Cancellation&) { return catalog_->Delete(*request); },
      response);
}

}  // namespace portrait
