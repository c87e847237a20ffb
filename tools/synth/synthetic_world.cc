#include "tools/synth/synthetic_world.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace portrait {
namespace {

constexpr int kTopics = 40;
constexpr int64_t kSpanMs = int64_t{30} * 24 * 3600 * 1000;
struct City {
  const char* name;
  double latitude, longitude;
};
constexpr City kCities[] = {{"Shanghai", 31.23, 121.47},
                            {"Beijing", 39.90, 116.40},
                            {"Shenzhen", 22.54, 114.06},
                            {"Chengdu", 30.57, 104.07},
                            {"Hangzhou", 30.27, 120.16}};

std::string Topic(int t) { return absl::StrCat("topic", t); }

}  // namespace

SyntheticWorld::Zipf::Zipf(int n, double exponent) {
  cdf_.resize(n);
  double total = 0;
  for (int k = 0; k < n; ++k) {
    total += 1.0 / std::pow(k + 1, exponent);
    cdf_[k] = total;
  }
  for (double& c : cdf_) c /= total;
}

int SyntheticWorld::Zipf::Draw(std::mt19937_64& rng) const {
  const double u = std::uniform_real_distribution<double>(0, 1)(rng);
  return static_cast<int>(std::lower_bound(cdf_.begin(), cdf_.end(), u) -
                          cdf_.begin()) %
         static_cast<int>(cdf_.size());
}

std::string SyntheticWorld::UserId(int i) { return absl::StrCat("user", i); }
std::string SyntheticWorld::PhoneOf(int i) {
  return absl::StrFormat("+86 13%09d", i);
}
std::string SyntheticWorld::PostId(int i) { return absl::StrCat("post", i); }
std::string SyntheticWorld::BrandId(int i) { return absl::StrCat("brand", i); }

SyntheticWorld::SyntheticWorld(const Options& options)
    : options_(options),
      rng_(options.seed),
      user_activity_(options.users, 0.9),
      post_popularity_(options.posts, 1.0),
      brand_popularity_(options.brands, 1.0),
      post_tags_(options.posts),
      posts_by_topic_(kTopics) {
  // A post's two topics; posts are in popularity order already (post0 is
  // the most popular), so each topic's list is popular-first too.
  for (int p = 0; p < options_.posts; ++p) {
    const int a = (p * 7) % kTopics;
    const int b = (p * 13 + 5) % kTopics;
    post_tags_[p] = {Topic(a), Topic(b)};
    posts_by_topic_[a].push_back(p);
    if (b != a) posts_by_topic_[b].push_back(p);
  }
}

bool SyntheticWorld::OptedIn(int user) const {
  // Deterministic per user, independent of the event stream.
  return (static_cast<uint64_t>(user) * 2654435761u) % 1000 <
         options_.sensitive_opt_in * 1000;
}

std::vector<v1::UpsertItemsRequest> SyntheticWorld::Catalog() const {
  std::vector<v1::UpsertItemsRequest> batches(1);
  auto next = [&]() -> v1::Item* {
    if (batches.back().items_size() == 1000) batches.emplace_back();
    return batches.back().add_items();
  };
  for (int b = 0; b < options_.brands; ++b) {
    v1::Brand* brand = next()->mutable_brand();
    brand->set_brand_id(BrandId(b));
    brand->set_name(absl::StrCat("Brand ", b));
    brand->add_categories(Topic(b % kTopics));
  }
  for (int u = 0; u < options_.users; ++u) {
    v1::Person* person = next()->mutable_person();
    person->set_user_id(UserId(u));
    person->add_contacts(PhoneOf(u));
  }
  for (int p = 0; p < options_.posts; ++p) {
    v1::Post* post = next()->mutable_post();
    post->set_post_id(PostId(p));
    if (p % 3 != 0) post->set_author_id(UserId((p * 31) % options_.users));
    post->set_brand_id(BrandId((p * 17) % options_.brands));
    for (const std::string& tag : post_tags_[p]) post->add_tags(tag);
    post->set_created_at_ms(options_.now_ms - kSpanMs +
                            (kSpanMs / options_.posts) * p);
    if (p % 10 < 3) {
      const City& city = kCities[p % 5];
      post->mutable_location()->set_latitude(city.latitude + 0.01 * (p % 7));
      post->mutable_location()->set_longitude(city.longitude);
    }
  }
  return batches;
}

std::vector<v1::SetConsentRequest> SyntheticWorld::OptIns() const {
  std::vector<v1::SetConsentRequest> requests;
  for (int u = 0; u < options_.users; ++u) {
    if (!OptedIn(u)) continue;
    v1::SetConsentRequest request;
    request.set_user_id(UserId(u));
    request.set_requester(v1::REQUESTER_USER);
    request.set_caller_id("synthetic-world");
    request.set_request_id("opt-in-sensitive");
    request.set_policy_version(1);
    for (v1::Signal s : {v1::LOCATION, v1::CONTACTS}) {
      v1::SignalChange* change = request.add_changes()->mutable_signal();
      change->set_signal(s);
      change->set_grant(true);
    }
    requests.push_back(std::move(request));
  }
  return requests;
}

int SyntheticWorld::PostForUser(int user) {
  // Mostly the community's two topics; otherwise anything popular.
  const int community = user / options_.community_size;
  if (std::uniform_int_distribution<int>(0, 9)(rng_) < 7) {
    const auto& topic =
        posts_by_topic_[(community * 2 + (rng_() % 2)) % kTopics];
    if (!topic.empty()) {
      // Exponentially skewed towards the topic's popular posts.
      const double u = std::uniform_real_distribution<double>(1e-9, 1)(rng_);
      const size_t k = static_cast<size_t>(-std::log(u) * topic.size() / 6);
      return topic[std::min(k, topic.size() - 1)];
    }
  }
  return post_popularity_.Draw(rng_);
}

int SyntheticWorld::OtherUserInCommunity(int user) {
  const int community = user / options_.community_size;
  const int base = community * options_.community_size;
  const int size = std::min(options_.community_size, options_.users - base);
  int other = base + static_cast<int>(rng_() % size);
  if (other == user || std::uniform_int_distribution<int>(0, 4)(rng_) == 0) {
    other = static_cast<int>(rng_() % options_.users);
  }
  return other == user ? (user + 1) % options_.users : other;
}

v1::Event SyntheticWorld::MakeEvent(int64_t index, int64_t at_ms) {
  const int user = user_activity_.Draw(rng_);
  v1::Event e;
  e.set_event_id(absl::StrCat("syn-", index));
  e.set_user_id(UserId(user));
  e.set_occurred_at_ms(at_ms);
  auto target = [&](v1::ItemKind kind, const std::string& id) {
    e.mutable_target()->set_kind(kind);
    e.mutable_target()->set_id(id);
  };
  const int roll = std::uniform_int_distribution<int>(0, 999)(rng_);
  const int community = user / options_.community_size;
  if (roll < 400) {
    e.set_signal(v1::BROWSE);
    target(v1::ITEM_POST, PostId(PostForUser(user)));
    e.mutable_browse()->set_dwell_ms(1000 + rng_() % 60000);
  } else if (roll < 650) {
    e.set_signal(v1::LIKE);
    target(v1::ITEM_POST, PostId(PostForUser(user)));
  } else if (roll < 700) {
    e.set_signal(v1::FAVORITE);
    target(v1::ITEM_POST, PostId(PostForUser(user)));
  } else if (roll < 750) {
    e.set_signal(v1::COMMENT);
    target(v1::ITEM_POST, PostId(PostForUser(user)));
  } else if (roll < 780) {
    e.set_signal(v1::RECOMMEND);
    target(v1::ITEM_POST, PostId(PostForUser(user)));
  } else if (roll < 840) {
    e.set_signal(v1::FOLLOW);
    if (rng_() % 10 < 7) {
      target(v1::ITEM_BRAND, BrandId(brand_popularity_.Draw(rng_)));
    } else {
      target(v1::ITEM_USER, UserId(OtherUserInCommunity(user)));
    }
  } else if (roll < 880) {
    e.set_signal(v1::FRIEND);
    target(v1::ITEM_USER, UserId(OtherUserInCommunity(user)));
  } else if (roll < 950) {
    e.set_signal(v1::SEARCH);
    e.mutable_search()->set_query(absl::StrCat(Topic((community * 2) % kTopics),
                                               " ", Topic(rng_() % kTopics)));
  } else if (roll < 980 && OptedIn(user)) {
    e.set_signal(v1::LOCATION);
    const City& city = kCities[community % 5];
    e.mutable_location()->set_latitude(city.latitude + 0.01 * (rng_() % 5));
    e.mutable_location()->set_longitude(city.longitude);
  } else if (roll < 985 && OptedIn(user)) {
    e.set_signal(v1::CONTACTS);
    e.mutable_contacts()->add_contacts(PhoneOf(OtherUserInCommunity(user)));
  } else if (roll < 990) {
    e.set_signal(v1::PROFILE_ATTRIBUTES);
    e.mutable_profile_attributes()->set_city(kCities[community % 5].name);
    e.mutable_profile_attributes()->set_birth_year(1960 + rng_() % 40);
  } else if (roll < 995) {
    e.set_signal(v1::BLOCK);
    target(v1::ITEM_USER, UserId(OtherUserInCommunity(user)));
  } else {
    e.set_signal(v1::LIKE);
    target(v1::ITEM_BRAND, BrandId(brand_popularity_.Draw(rng_)));
  }
  return e;
}

void SyntheticWorld::Events(
    int batch_size,
    const std::function<void(const std::vector<v1::Event>&)>& emit) {
  const int64_t start = options_.now_ms - kSpanMs;
  const double step =
      static_cast<double>(kSpanMs) / std::max<int64_t>(1, options_.events);
  std::vector<v1::Event> batch;
  for (int64_t i = 0; i < options_.events; ++i) {
    batch.push_back(MakeEvent(i, start + static_cast<int64_t>(i * step)));
    if (static_cast<int>(batch.size()) == batch_size) {
      emit(batch);
      batch.clear();
    }
  }
  if (!batch.empty()) emit(batch);
}

}  // namespace portrait
