// One test per request-level rule and per event-level rejection, each checking
// the status code and that the message names the field and the limit.
#include "services/ingest/validation.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "base/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace portrait {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int64_t kNow = 1'790'000'000'000;

v1::Event GoodEvent() {
  v1::Event e;
  e.set_event_id("e1");
  e.set_user_id("u1");
  e.set_signal(v1::LIKE);
  e.mutable_target()->set_kind(v1::ITEM_POST);
  e.mutable_target()->set_id("p1");
  e.set_occurred_at_ms(kNow - 1000);
  return e;
}

absl::Status ValidateOne(const v1::Event& e) {
  google::protobuf::RepeatedPtrField<v1::Event> events;
  *events.Add() = GoodEvent();
  *events.Add() = e;
  return ValidateEvents(events, kNow);
}

MATCHER_P2(InvalidNaming, field, limit, "") {
  return ::testing::ExplainMatchResult(
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr(field), HasSubstr(limit))),
      arg, result_listener);
}

TEST(ValidateEventsTest, GoodEventPasses) {
  EXPECT_THAT(ValidateOne(GoodEvent()), IsOk());
}

TEST(ValidateEventsTest, EmptyBatch) {
  google::protobuf::RepeatedPtrField<v1::Event> events;
  EXPECT_THAT(ValidateEvents(events, kNow), InvalidNaming("events", "empty"));
}

TEST(ValidateEventsTest, TooManyEvents) {
  google::protobuf::RepeatedPtrField<v1::Event> events;
  for (int i = 0; i <= kMaxEventsPerRequest; ++i) *events.Add() = GoodEvent();
  EXPECT_THAT(ValidateEvents(events, kNow), InvalidNaming("events", "1000"));
}

TEST(ValidateEventsTest, MissingEventId) {
  v1::Event e = GoodEvent();
  e.clear_event_id();
  EXPECT_THAT(ValidateOne(e), InvalidNaming("events[1].event_id", "required"));
}

TEST(ValidateEventsTest, OversizedEventId) {
  v1::Event e = GoodEvent();
  e.set_event_id(std::string(129, 'a'));
  EXPECT_THAT(ValidateOne(e), InvalidNaming("events[1].event_id", "128"));
}

TEST(ValidateEventsTest, MissingUserId) {
  v1::Event e = GoodEvent();
  e.clear_user_id();
  EXPECT_THAT(ValidateOne(e), InvalidNaming("events[1].user_id", "required"));
}

TEST(ValidateEventsTest, OversizedUserId) {
  v1::Event e = GoodEvent();
  e.set_user_id(std::string(65, 'u'));
  EXPECT_THAT(ValidateOne(e), InvalidNaming("events[1].user_id", "64"));
}

TEST(ValidateEventsTest, UserIdWithForbiddenCharacter) {
  v1::Event e = GoodEvent();
  e.set_user_id(std::string("u\0x", 3));
  EXPECT_THAT(ValidateOne(e),
              InvalidNaming("events[1].user_id", "[A-Za-z0-9_.:@-]"));
}

TEST(ValidateEventsTest, UnspecifiedSignal) {
  v1::Event e = GoodEvent();
  e.set_signal(v1::SIGNAL_UNSPECIFIED);
  EXPECT_THAT(ValidateOne(e), InvalidNaming("events[1].signal", "known"));
}

TEST(ValidateEventsTest, UnknownSignalValue) {
  v1::Event e = GoodEvent();
  e.set_signal(static_cast<v1::Signal>(99));
  EXPECT_THAT(ValidateOne(e), InvalidNaming("events[1].signal", "99"));
}

TEST(ValidateEventsTest, UnknownTargetKind) {
  v1::Event e = GoodEvent();
  e.mutable_target()->set_kind(static_cast<v1::ItemKind>(7));
  EXPECT_THAT(ValidateOne(e), InvalidNaming("events[1].target.kind", "7"));
}

TEST(ValidateEventsTest, MissingTargetId) {
  v1::Event e = GoodEvent();
  e.mutable_target()->clear_id();
  EXPECT_THAT(ValidateOne(e), InvalidNaming("events[1].target.id", "required"));
}

TEST(ValidateEventsTest, MissingTimestamp) {
  v1::Event e = GoodEvent();
  e.clear_occurred_at_ms();
  EXPECT_THAT(ValidateOne(e), InvalidNaming("events[1].occurred_at_ms", "> 0"));
}

TEST(ValidateEventsTest, TimestampFarInTheFuture) {
  v1::Event e = GoodEvent();
  e.set_occurred_at_ms(kNow + kMaxFutureSkewMs + 1);
  EXPECT_THAT(ValidateOne(e),
              InvalidNaming("events[1].occurred_at_ms", "300000 ms"));
}

TEST(ValidateEventsTest, TimestampWithinSkewPasses) {
  v1::Event e = GoodEvent();
  e.set_occurred_at_ms(kNow + kMaxFutureSkewMs);
  EXPECT_THAT(ValidateOne(e), IsOk());
}

TEST(ValidateEventsTest, NegativeOrNonFiniteWeight) {
  v1::Event e = GoodEvent();
  e.set_weight(-1);
  EXPECT_THAT(ValidateOne(e), InvalidNaming("events[1].weight", "1e+06"));
  e.set_weight(std::numeric_limits<double>::quiet_NaN());
  EXPECT_THAT(ValidateOne(e), InvalidNaming("events[1].weight", "1e+06"));
}

TEST(ValidateEventsTest, OversizedSearchQuery) {
  v1::Event e = GoodEvent();
  e.set_signal(v1::SEARCH);
  e.clear_target();
  e.mutable_search()->set_query(std::string(257, 'q'));
  EXPECT_THAT(ValidateOne(e), InvalidNaming("events[1].search.query", "256"));
}

TEST(ValidateEventsTest, EmptySearchQuery) {
  v1::Event e = GoodEvent();
  e.mutable_search();
  EXPECT_THAT(ValidateOne(e),
              InvalidNaming("events[1].search.query", "required"));
}

TEST(ValidateEventsTest, DwellOutOfRange) {
  v1::Event e = GoodEvent();
  e.mutable_browse()->set_dwell_ms(kMaxDwellMs + 1);
  EXPECT_THAT(ValidateOne(e),
              InvalidNaming("events[1].browse.dwell_ms", "86400000"));
}

TEST(ValidateEventsTest, LatitudeOutOfRange) {
  v1::Event e = GoodEvent();
  e.mutable_location()->set_latitude(91);
  EXPECT_THAT(ValidateOne(e),
              InvalidNaming("events[1].location.latitude", "[-90, 90]"));
}

TEST(ValidateEventsTest, LongitudeNotANumber) {
  v1::Event e = GoodEvent();
  e.mutable_location()->set_longitude(std::nan(""));
  EXPECT_THAT(ValidateOne(e),
              InvalidNaming("events[1].location.longitude", "[-180, 180]"));
}

TEST(ValidateEventsTest, ContactHashesAreTheServers) {
  v1::Event e = GoodEvent();
  e.mutable_contacts()->add_contacts("+86 138 0013 8000");
  e.mutable_contacts()->add_contact_hashes("0123456789abcdef");
  EXPECT_THAT(ValidateOne(e),
              InvalidNaming("events[1].contacts.contact_hashes", "server"));
}

TEST(ValidateEventsTest, ContactThatIsNeitherPhoneNorEmail) {
  v1::Event e = GoodEvent();
  e.mutable_contacts()->add_contacts("ann@example.com");
  e.mutable_contacts()->add_contacts("Mum at home");
  const absl::Status status = ValidateOne(e);
  EXPECT_THAT(status, InvalidNaming("events[1].contacts.contacts[1]",
                                    "neither a phone number nor an e-mail"));
  // The message never repeats the value.
  EXPECT_THAT(std::string(status.message()),
              ::testing::Not(::testing::HasSubstr("Mum")));
}

TEST(ValidateEventsTest, EmptyContacts) {
  v1::Event e = GoodEvent();
  e.mutable_contacts();
  EXPECT_THAT(ValidateOne(e),
              InvalidNaming("events[1].contacts.contacts", "1 to 1000"));
}

TEST(ValidateEventsTest, TooManyContacts) {
  v1::Event e = GoodEvent();
  for (int i = 0; i <= kMaxContacts; ++i)
    e.mutable_contacts()->add_contacts(absl::StrCat("+861380000", 1000 + i));
  EXPECT_THAT(ValidateOne(e),
              InvalidNaming("events[1].contacts.contacts", "1001 entries"));
}

TEST(ValidateEventsTest, ProfileBirthYearOutOfRange) {
  v1::Event e = GoodEvent();
  e.mutable_profile_attributes()->set_birth_year(1800);
  EXPECT_THAT(ValidateOne(e),
              InvalidNaming("events[1].profile_attributes.birth_year", "1900"));
}

TEST(ValidateEventsTest, TooManyHobbies) {
  v1::Event e = GoodEvent();
  for (int i = 0; i <= kMaxListEntries; ++i) {
    e.mutable_profile_attributes()->add_hobbies("h");
  }
  EXPECT_THAT(ValidateOne(e),
              InvalidNaming("events[1].profile_attributes.hobbies", "32"));
}

TEST(ValidateEventsTest, OversizedComment) {
  v1::Event e = GoodEvent();
  e.mutable_comment()->set_text(std::string(2001, 'c'));
  EXPECT_THAT(ValidateOne(e), InvalidNaming("events[1].comment.text", "2000"));
}

TEST(ValidateItemsTest, PostNeedsIdAndTime) {
  google::protobuf::RepeatedPtrField<v1::Item> items;
  v1::Post* post = items.Add()->mutable_post();
  post->set_created_at_ms(kNow);
  EXPECT_THAT(ValidateItems(items, kNow),
              InvalidNaming("items[0].post.post_id", "required"));
  post->set_post_id("p1");
  post->clear_created_at_ms();
  EXPECT_THAT(ValidateItems(items, kNow),
              InvalidNaming("items[0].post.created_at_ms", "> 0"));
  post->set_created_at_ms(kNow);
  EXPECT_THAT(ValidateItems(items, kNow), IsOk());
}

TEST(ValidateItemsTest, ItemWithoutKind) {
  google::protobuf::RepeatedPtrField<v1::Item> items;
  items.Add();
  EXPECT_THAT(ValidateItems(items, kNow),
              InvalidNaming("items[0]", "post, brand, person"));
}

TEST(ValidateItemsTest, OversizedBrandName) {
  google::protobuf::RepeatedPtrField<v1::Item> items;
  v1::Brand* brand = items.Add()->mutable_brand();
  brand->set_brand_id("b1");
  brand->set_name(std::string(257, 'n'));
  EXPECT_THAT(ValidateItems(items, kNow),
              InvalidNaming("items[0].brand.name", "256"));
}

TEST(ValidateItemsTest, PersonContacts) {
  google::protobuf::RepeatedPtrField<v1::Item> items;
  v1::Person* person = items.Add()->mutable_person();
  person->set_user_id("u1");
  person->add_contacts("ann@example");
  EXPECT_THAT(ValidateItems(items, kNow),
              InvalidNaming("items[0].person.contacts[0]", "neither"));
  person->set_contacts(0, "ann@example.com");
  EXPECT_THAT(ValidateItems(items, kNow), IsOk());
  for (int i = 0; i < kMaxPersonContacts; ++i) person->add_contacts("0138001");
  EXPECT_THAT(ValidateItems(items, kNow),
              InvalidNaming("items[0].person.contacts", "0 to 4"));
  person->clear_contacts();
  person->add_contact_hashes("0123456789abcdef");
  EXPECT_THAT(ValidateItems(items, kNow),
              InvalidNaming("items[0].person.contact_hashes", "server"));
}

TEST(ValidateItemsTest, BrandStoreLocationNeedsARadius) {
  google::protobuf::RepeatedPtrField<v1::Item> items;
  v1::Brand* brand = items.Add()->mutable_brand();
  brand->set_brand_id("shop");
  brand->set_check_in_radius_m(100);
  EXPECT_THAT(
      ValidateItems(items, kNow),
      InvalidNaming("items[0].brand.check_in_radius_m", "without a location"));
  brand->mutable_location()->set_latitude(31.2);
  brand->mutable_location()->set_longitude(121.4);
  brand->set_check_in_radius_m(0);
  EXPECT_THAT(ValidateItems(items, kNow),
              InvalidNaming("items[0].brand.check_in_radius_m", "1 to 10000"));
  brand->set_check_in_radius_m(100);
  brand->mutable_location()->set_longitude(181);
  EXPECT_THAT(
      ValidateItems(items, kNow),
      InvalidNaming("items[0].brand.location.longitude", "[-180, 180]"));
  brand->mutable_location()->set_longitude(121.4);
  EXPECT_THAT(ValidateItems(items, kNow), IsOk());
}

TEST(ValidateItemsTest, PersonTimeZoneMustBeKnown) {
  google::protobuf::RepeatedPtrField<v1::Item> items;
  v1::Person* person = items.Add()->mutable_person();
  person->set_user_id("u1");
  person->set_time_zone("Mars/Olympus_Mons");
  EXPECT_THAT(ValidateItems(items, kNow),
              InvalidNaming("items[0].person.time_zone", "IANA"));
  person->set_time_zone(std::string(65, 'A'));
  EXPECT_THAT(ValidateItems(items, kNow),
              InvalidNaming("items[0].person.time_zone", "at most 64"));
  person->set_time_zone("Europe/Paris");
  EXPECT_THAT(ValidateItems(items, kNow), IsOk());
}

TEST(ValidateItemsTest, TooManyTags) {
  google::protobuf::RepeatedPtrField<v1::Item> items;
  v1::Post* post = items.Add()->mutable_post();
  post->set_post_id("p1");
  post->set_created_at_ms(kNow);
  for (int i = 0; i <= kMaxListEntries; ++i) post->add_tags("t");
  EXPECT_THAT(ValidateItems(items, kNow),
              InvalidNaming("items[0].post.tags", "32"));
}

TEST(ValidateItemRefsTest, EmptyAndUnspecified) {
  google::protobuf::RepeatedPtrField<v1::ItemRef> refs;
  EXPECT_THAT(ValidateItemRefs(refs), InvalidNaming("items", "empty"));
  refs.Add()->set_id("x");
  EXPECT_THAT(ValidateItemRefs(refs),
              InvalidNaming("items[0].kind", "ITEM_POST"));
}

TEST(CheckEventShapeTest, GoodEventHasNoRejection) {
  EXPECT_FALSE(CheckEventShape(GoodEvent()).has_value());
}

TEST(CheckEventShapeTest, MissingTarget) {
  v1::Event e = GoodEvent();
  e.clear_target();
  auto r = CheckEventShape(e);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->reason, v1::WRONG_TARGET);
  EXPECT_THAT(r->detail, HasSubstr("requires a target"));
}

TEST(CheckEventShapeTest, TargetOfWrongKind) {
  v1::Event e = GoodEvent();
  e.set_signal(v1::FRIEND);
  auto r = CheckEventShape(e);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->reason, v1::WRONG_TARGET);
  EXPECT_THAT(r->detail, HasSubstr("ITEM_POST"));
}

TEST(CheckEventShapeTest, PushFeedbackTakesAnyItemAndNeedsItsPayload) {
  v1::Event e = GoodEvent();
  e.set_signal(v1::PUSH_FEEDBACK);
  e.mutable_push_feedback()->set_reaction(v1::PUSH_DISMISSED);
  for (v1::ItemKind kind : {v1::ITEM_POST, v1::ITEM_BRAND, v1::ITEM_USER}) {
    e.mutable_target()->set_kind(kind);
    EXPECT_FALSE(CheckEventShape(e).has_value()) << kind;
  }
  e.clear_push_feedback();
  auto r = CheckEventShape(e);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->reason, v1::WRONG_PAYLOAD);
}

TEST(ValidateEventsTest, PushReactionMustBeKnown) {
  v1::Event e = GoodEvent();
  e.set_signal(v1::PUSH_FEEDBACK);
  e.mutable_push_feedback()->set_reaction(v1::PUSH_REACTION_UNSPECIFIED);
  EXPECT_THAT(ValidateOne(e), InvalidNaming("events[1].push_feedback.reaction",
                                            "PUSH_OPENED or PUSH_DISMISSED"));
  e.mutable_push_feedback()->set_reaction(static_cast<v1::PushReaction>(7));
  EXPECT_THAT(ValidateOne(e),
              InvalidNaming("events[1].push_feedback.reaction", "is 7"));
}

TEST(CheckEventShapeTest, TargetWhereNoneIsTaken) {
  v1::Event e = GoodEvent();
  e.set_signal(v1::SEARCH);
  e.mutable_search()->set_query("shoes");
  auto r = CheckEventShape(e);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->reason, v1::WRONG_TARGET);
}

TEST(CheckEventShapeTest, MissingRequiredPayload) {
  v1::Event e = GoodEvent();
  e.set_signal(v1::LOCATION);
  e.clear_target();
  auto r = CheckEventShape(e);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->reason, v1::WRONG_PAYLOAD);
  EXPECT_THAT(r->detail, HasSubstr("requires a payload"));
}

TEST(CheckEventShapeTest, PayloadOfAnotherSignal) {
  v1::Event e = GoodEvent();
  e.mutable_search()->set_query("q");
  auto r = CheckEventShape(e);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->reason, v1::WRONG_PAYLOAD);
}

TEST(CheckEventShapeTest, SelfFollow) {
  v1::Event e = GoodEvent();
  e.set_signal(v1::FOLLOW);
  e.mutable_target()->set_kind(v1::ITEM_USER);
  e.mutable_target()->set_id(e.user_id());
  auto r = CheckEventShape(e);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->reason, v1::SELF_TARGET);
}

}  // namespace
}  // namespace portrait
