#include "services/grpc/recommend_service.h"

#include "services/grpc/status_conversion.h"

namespace portrait {

RecommendServiceImpl::RecommendServiceImpl(const Recommender* recommender)
    : recommender_(recommender) {}

grpc::Status RecommendServiceImpl::Recommend(
    grpc::ServerContext*, const v1::RecommendRequest* request,
    v1::RecommendResponse* response) {
  return AnswerWith(recommender_->Recommend(*request), response);
}

}  // namespace portrait
