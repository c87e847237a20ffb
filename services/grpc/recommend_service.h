// gRPC adapter of RecommendService over Recommender.
#ifndef PORTRAIT_SERVICES_GRPC_RECOMMEND_SERVICE_H_
#define PORTRAIT_SERVICES_GRPC_RECOMMEND_SERVICE_H_

#include "portrait/v1/recommend.grpc.pb.h"
#include "services/grpc/call_limiter.h"
#include "services/grpc/shard_guard.h"
#include "services/recommend/recommender.h"

namespace portrait {

// Thread-safe. `recommender` must outlive it.
class RecommendServiceImpl final : public v1::RecommendService::Service {
 public:
  RecommendServiceImpl(const Recommender* recommender, CallLimits* limits,
                       const ShardGuard* shard);

  grpc::Status Recommend(grpc::ServerContext* context,
                         const v1::RecommendRequest* request,
                         v1::RecommendResponse* response) override;

 private:
  const ShardGuard* const shard_;
  const Recommender* const recommender_;
  CallLimits* const limits_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_GRPC_RECOMMEND_SERVICE_H_
