#include "services/grpc/recommend_service.h"

#include "services/grpc/status_conversion.h"

namespace portrait {

RecommendServiceImpl::RecommendServiceImpl(const Recommender* recommender,
                                           CallLimits* limits,
                                           const ShardGuard* shard)
    : shard_(shard), recommender_(recommender), limits_(limits) {}

grpc::Status RecommendServiceImpl::Recommend(
    grpc::ServerContext* context, const v1::RecommendRequest* request,
    v1::RecommendResponse* response) {
  if (grpc::Status routed = shard_->UserCall(*context, *request); !routed.ok())
    return routed;
  return AnswerWithin(
      limits_->reads, *context,
      [&](const Cancellation&) { return recommender_->Recommend(*request); },
      response);
}

}  // namespace portrait
