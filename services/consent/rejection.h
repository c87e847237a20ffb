// Why one event is refused: by its shape (services/ingest/validation.h) or
// by the consent gate (ConsentView::GateEvent). Defined here, below both.
#ifndef PORTRAIT_SERVICES_CONSENT_REJECTION_H_
#define PORTRAIT_SERVICES_CONSENT_REJECTION_H_

#include <string>

#include "portrait/v1/ingest.pb.h"

namespace portrait {

struct Rejection {
  v1::RejectReason reason;
  std::string detail;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_CONSENT_REJECTION_H_
