#include "tests/upgrade/answers.h"

#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace portrait {
namespace {

using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Reflection;

double Round(double x) { return std::round(x * 1e4) / 1e4; }

void RoundFloats(Message& message) {
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const bool repeated = field->is_repeated();
    const int n = repeated ? reflection->FieldSize(message, field) : 1;
    for (int i = 0; i < n; ++i) {
      switch (field->cpp_type()) {
        case FieldDescriptor::CPPTYPE_DOUBLE:
          repeated
              ? reflection->SetRepeatedDouble(
                    &message, field, i,
                    Round(reflection->GetRepeatedDouble(message, field, i)))
              : reflection->SetDouble(
                    &message, field,
                    Round(reflection->GetDouble(message, field)));
          break;
        case FieldDescriptor::CPPTYPE_FLOAT:
          repeated ? reflection->SetRepeatedFloat(
                         &message, field, i,
                         Round(reflection->GetRepeatedFloat(message, field, i)))
                   : reflection->SetFloat(
                         &message, field,
                         Round(reflection->GetFloat(message, field)));
          break;
        case FieldDescriptor::CPPTYPE_MESSAGE:
          RoundFloats(
              repeated ? *reflection->MutableRepeatedMessage(&message, field, i)
                       : *reflection->MutableMessage(&message, field));
          break;
        default:
          break;
      }
    }
  }
}

// Calls `method` of `stub` and appends its answer to `out`; returns whether
// the call succeeded.
template <typename Stub, typename Request, typename Response>
bool Read(Stub& stub,
          grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                       Response*),
          absl::string_view name, absl::string_view key, const Request& request,
          Response& response, std::vector<std::string>& out) {
  grpc::ClientContext context;
  grpc::Status status = (stub.*method)(&context, request, &response);
  if (!status.ok()) {
    out.push_back(absl::StrCat(name, " ", key, ": status ", status.error_code(),
                               " ", status.error_message()));
    return false;
  }
  Response rounded = response;
  RoundFloats(rounded);
  out.push_back(absl::StrCat(name, " ", key, ": ", rounded.ShortDebugString()));
  return true;
}

}  // namespace

std::vector<std::string> ReadEverything(TestServer& portrait) {
  std::vector<std::string> out;
  std::set<std::string> receipts;
  for (int u = 0; u < RandomWorld::kUsers; ++u) {
    const std::string user = RandomWorld::User(u);
    {
      v1::GetConsentRequest request;
      request.set_user_id(user);
      v1::GetConsentResponse response;
      Read(*portrait.consent, &v1::ConsentService::Stub::GetConsent,
           "GetConsent", user, request, response, out);
    }
    v1::GetConsentHistoryRequest history;
    history.set_user_id(user);
    history.set_page_size(7);  // Several pages for most users.
    for (int page = 0;; ++page) {
      v1::GetConsentHistoryResponse response;
      if (!Read(*portrait.consent, &v1::ConsentService::Stub::GetConsentHistory,
                "GetConsentHistory", absl::StrCat(user, " page ", page),
                history, response, out)) {
        break;
      }
      for (const v1::LedgerEntry& entry : response.entries()) {
        if (!entry.receipt_id().empty()) receipts.insert(entry.receipt_id());
      }
      if (response.next_page_token().empty()) break;
      history.set_page_token(response.next_page_token());
    }
    {
      v1::GetProfileRequest request;
      request.set_user_id(user);
      v1::GetProfileResponse response;
      Read(*portrait.profile, &v1::ProfileService::Stub::GetProfile,
           "GetProfile", user, request, response, out);
    }
    {
      v1::GetEventSummaryRequest request;
      request.set_user_id(user);
      v1::GetEventSummaryResponse response;
      Read(*portrait.profile, &v1::ProfileService::Stub::GetEventSummary,
           "GetEventSummary", user, request, response, out);
    }
    for (v1::Surface surface : {v1::FEED, v1::BRANDS, v1::PEOPLE}) {
      v1::RecommendRequest request;
      request.set_user_id(user);
      request.set_surface(surface);
      request.set_limit(10);
      v1::RecommendResponse response;
      Read(*portrait.recommend, &v1::RecommendService::Stub::Recommend,
           "Recommend", absl::StrCat(user, " ", v1::Surface_Name(surface)),
           request, response, out);
    }
  }
  for (const std::string& receipt : receipts) {
    v1::GetErasureStatusRequest request;
    request.set_receipt_id(receipt);
    v1::GetErasureStatusResponse response;
    Read(*portrait.consent, &v1::ConsentService::Stub::GetErasureStatus,
         "GetErasureStatus", receipt, request, response, out);
  }
  return out;
}

}  // namespace portrait
