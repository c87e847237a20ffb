// Test-only: events for tests that feed a PortraitIndex directly.
#ifndef PORTRAIT_SERVICES_PORTRAIT_TEST_EVENTS_H_
#define PORTRAIT_SERVICES_PORTRAIT_TEST_EVENTS_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "portrait/v1/ingest.pb.h"

namespace portrait {

// A LIKE of post "p<post>" by `user`.
inline v1::Event PostLike(const std::string& event_id, const std::string& user,
                          int post, int64_t occurred_at_ms) {
  v1::Event event;
  event.set_event_id(event_id);
  event.set_user_id(user);
  event.set_signal(v1::LIKE);
  event.set_occurred_at_ms(occurred_at_ms);
  event.mutable_target()->set_kind(v1::ITEM_POST);
  event.mutable_target()->set_id(absl::StrCat("p", post));
  return event;
}

// A FOLLOW of brand "b<brand>" by `user`.
inline v1::Event BrandFollow(const std::string& event_id,
                             const std::string& user, int brand,
                             int64_t occurred_at_ms) {
  v1::Event event = PostLike(event_id, user, 0, occurred_at_ms);
  event.set_signal(v1::FOLLOW);
  event.mutable_target()->set_kind(v1::ITEM_BRAND);
  event.mutable_target()->set_id(absl::StrCat("b", brand));
  return event;
}

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_PORTRAIT_TEST_EVENTS_H_
