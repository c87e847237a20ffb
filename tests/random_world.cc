#include "tests/random_world.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace portrait {
namespace {

constexpr const char* kTags[] = {"shoes", "tea",  "hiking", "jazz",
                                 "games", "cats", "coffee", "ski"};

}  // namespace

std::string RandomWorld::User(int i) { return absl::StrCat("u", i); }
std::string RandomWorld::Contact(int i) {
  return absl::StrCat("+86 139 0000 ", 1000 + i);
}

RandomWorld::RandomWorld(uint32_t seed, v1::Signal signal)
    : rng_(seed), signal_(signal) {}

v1::UpsertItemsRequest RandomWorld::Catalog() {
  v1::UpsertItemsRequest request;
  for (int b = 0; b < kBrands; ++b) {
    v1::Brand* brand = request.add_items()->mutable_brand();
    brand->set_brand_id(absl::StrCat("b", b));
    brand->set_name(absl::StrCat("Brand ", b));
  }
  for (int u = 0; u < kUsers; ++u) {
    v1::Person* person = request.add_items()->mutable_person();
    person->set_user_id(User(u));
    person->add_contacts(Contact(u));
  }
  for (int p = 0; p < kPosts; ++p) {
    v1::Post* post = request.add_items()->mutable_post();
    post->set_post_id(absl::StrCat("p", p));
    post->set_author_id(User(p % kUsers));
    post->set_brand_id(absl::StrCat("b", p % kBrands));
    post->add_tags(kTags[p % 8]);
    post->add_tags(kTags[(p * 3 + 1) % 8]);
    post->set_created_at_ms(kStartMs - (kPosts - p) * 3'600'000LL);
    if (p % 3 == 0) {
      post->mutable_location()->set_latitude(31.2 + 0.1 * (p % 2));
      post->mutable_location()->set_longitude(121.4);
    }
  }
  return request;
}

v1::Event RandomWorld::Event(int user, v1::Signal signal, int64_t at_ms) {
  if (user < 0) user = Pick(kUsers);
  v1::Event e;
  e.set_event_id(absl::StrCat("e", next_event_++));
  e.set_user_id(User(user));
  e.set_signal(signal);
  e.set_occurred_at_ms(at_ms);
  auto target = [&](v1::ItemKind kind, const std::string& id) {
    e.mutable_target()->set_kind(kind);
    e.mutable_target()->set_id(id);
  };
  // Skewed choice of posts: low numbers are popular.
  const int post = std::min(Pick(kPosts), Pick(kPosts));
  const int other = (user + 1 + Pick(kUsers - 1)) % kUsers;
  switch (signal) {
    case v1::FOLLOW:
      Pick(2) ? target(v1::ITEM_BRAND, absl::StrCat("b", Pick(kBrands)))
              : target(v1::ITEM_USER, User(other));
      break;
    case v1::BLOCK:
      target(v1::ITEM_USER, User(other));
      break;
    case v1::FRIEND:
      target(v1::ITEM_USER, User(other));
      break;
    case v1::POST:
      target(v1::ITEM_POST, absl::StrCat("p", user + kUsers * Pick(3)));
      break;
    case v1::SEARCH:
      e.mutable_search()->set_query(
          absl::StrCat(kTags[Pick(8)], " ", kTags[Pick(8)]));
      break;
    case v1::LOCATION:
      e.mutable_location()->set_latitude(31.2 + 0.1 * Pick(2));
      e.mutable_location()->set_longitude(121.45);
      break;
    case v1::CONTACTS:
      e.mutable_contacts()->add_contacts(Contact(other));
      break;
    case v1::PROFILE_ATTRIBUTES:
      e.mutable_profile_attributes()->set_city(Pick(2) ? "Shanghai"
                                                       : "Beijing");
      e.mutable_profile_attributes()->set_birth_year(1980 + Pick(20));
      break;
    case v1::PUSH_FEEDBACK:
      target(v1::ITEM_POST, absl::StrCat("p", post));
      e.mutable_push_feedback()->set_reaction(Pick(2) ? v1::PUSH_OPENED
                                                      : v1::PUSH_DISMISSED);
      break;
    default:
      target(v1::ITEM_POST, absl::StrCat("p", post));
      if (signal == v1::BROWSE) e.set_weight(1 + Pick(5));
      break;
  }
  return e;
}

std::vector<v1::Event> RandomWorld::Batch(int n, int64_t at_ms,
                                          int target_user) {
  static constexpr v1::Signal kMix[] = {
      v1::LIKE,         v1::LIKE,     v1::BROWSE,
      v1::BROWSE,       v1::FAVORITE, v1::FOLLOW,
      v1::FRIEND,       v1::SEARCH,   v1::COMMENT,
      v1::RECOMMEND,    v1::LOCATION, v1::CONTACTS,
      v1::BLOCK,        v1::POST,     v1::PROFILE_ATTRIBUTES,
      v1::PUSH_FEEDBACK};
  std::vector<v1::Event> events;
  for (int i = 0; i < n; ++i) {
    // The target user's events of the target signal, often.
    if (Pick(4) == 0) {
      events.push_back(Event(target_user, signal_, at_ms + i));
    } else {
      events.push_back(Event(-1, kMix[Pick(std::size(kMix))], at_ms + i));
    }
  }
  return events;
}

int RandomWorld::Pick(int n) {
  return std::uniform_int_distribution<int>(0, n - 1)(rng_);
}

}  // namespace portrait
