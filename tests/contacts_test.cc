// Contacts through a real server: uploaded phone numbers and e-mail
// addresses are kept only as keyed hashes, match people whose own contacts
// hash the same, are offered only while those people allow it, and are gone
// with every match after a STRIP of CONTACTS. A server without a contact key
// refuses them.
#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/storage/rocksdb_store.h"
#include "tests/temp_dir.h"
#include "tests/test_server.h"

namespace portrait {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr int64_t kNow = 1'790'000'000'000;

// What ann, bob and cat told the app about themselves, and how ann's and
// bob's entries look in dan's address book.
constexpr char kAnnPhone[] = "+86 138 0013 8000";
constexpr char kBobEmail[] = "bob.lee@example.com";
constexpr char kCatPhone[] = "+86 139 1111 2222";
constexpr char kAnnInBook[] = "138-0013-8000";
constexpr char kBobInBook[] = "Bob.Lee@Example.COM";

class ContactsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(portrait_.Start(dir_.path() + "/db", &clock_));
  }

  grpc::Status UpsertPeople() {
    v1::UpsertItemsRequest request;
    const std::pair<const char*, const char*> people[] = {
        {"ann", kAnnPhone}, {"bob", kBobEmail}, {"cat", kCatPhone}};
    for (const auto& [id, contact] : people) {
      v1::Person* person = request.add_items()->mutable_person();
      person->set_user_id(id);
      person->add_contacts(contact);
    }
    request.add_items()->mutable_person()->set_user_id("dan");
    v1::UpsertItemsResponse response;
    grpc::ClientContext context;
    return portrait_.ingest->UpsertItems(&context, request, &response);
  }

  grpc::Status Upload(const std::vector<std::string>& contacts,
                      v1::RecordEventsResponse* response) {
    v1::RecordEventsRequest request;
    v1::Event* e = request.add_events();
    e->set_event_id(absl::StrCat("upload-", next_++));
    e->set_user_id("dan");
    e->set_signal(v1::CONTACTS);
    e->set_occurred_at_ms(clock_.NowMillis());
    for (const std::string& contact : contacts)
      e->mutable_contacts()->add_contacts(contact);
    grpc::ClientContext context;
    return portrait_.ingest->RecordEvents(&context, request, response);
  }

  void Set(const std::string& user, const v1::ConsentChange& change) {
    const v1::SetConsentRequest request = UserConsentRequest(
        user, absl::StrCat("r", next_++), "contacts-test", change);
    v1::SetConsentResponse response;
    grpc::ClientContext context;
    const grpc::Status status =
        portrait_.consent->SetConsent(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  void SetContacts(bool grant) {
    Set("dan",
        ChangeOfSignal(v1::CONTACTS, grant,
                       grant ? v1::REVOCATION_ACTION_UNSPECIFIED : v1::STRIP));
  }

  // dan's people suggestions that cite CONTACTS_MATCH.
  std::vector<std::string> ContactMatches() {
    v1::RecommendRequest request;
    request.set_user_id("dan");
    request.set_surface(v1::PEOPLE);
    request.set_limit(20);
    v1::RecommendResponse response;
    grpc::ClientContext context;
    const grpc::Status status =
        portrait_.recommend->Recommend(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> ids;
    for (const auto& item : response.items()) {
      for (const auto& reason : item.reasons()) {
        if (reason.source() == v1::CONTACTS_MATCH) {
          ids.push_back(item.item().id());
          EXPECT_THAT(reason.signals(), ElementsAre(v1::CONTACTS));
        }
      }
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  std::vector<std::string> ContactFeatures() {
    v1::GetProfileRequest request;
    request.set_user_id("dan");
    v1::GetProfileResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(
        portrait_.profile->GetProfile(&context, request, &response).ok());
    std::vector<std::string> labels;
    for (const auto& block : response.blocks()) {
      for (const auto& feature : block.features()) {
        if (absl::StartsWith(feature.label(), "contact:"))
          labels.push_back(feature.label());
      }
    }
    return labels;
  }

  TempDir dir_;
  FakeClock clock_{kNow};
  TestServer portrait_;
  int next_ = 0;
};

TEST_F(ContactsTest, UploadedContactsMatchPeopleBySpellingIndependentHashes) {
  ASSERT_TRUE(UpsertPeople().ok());
  SetContacts(true);
  v1::RecordEventsResponse response;
  ASSERT_TRUE(
      Upload({kAnnInBook, kBobInBook, "+44 20 7946 0958"}, &response).ok());
  ASSERT_EQ(response.stored(), 1) << response.ShortDebugString();
  EXPECT_THAT(ContactMatches(), ElementsAre("ann", "bob"));
  // The profile shows three hashes (64 hex digits each), never a value.
  const std::vector<std::string> features = ContactFeatures();
  ASSERT_EQ(features.size(), 3u);
  for (const std::string& label : features) {
    EXPECT_EQ(label.size(), std::string("contact:").size() + 64) << label;
  }
}

TEST_F(ContactsTest, PlainValuesAreStoredNowhere) {
  ASSERT_TRUE(UpsertPeople().ok());
  SetContacts(true);
  v1::RecordEventsResponse response;
  ASSERT_TRUE(Upload({kAnnInBook, kBobInBook}, &response).ok());
  ASSERT_TRUE(portrait_.server->TrainModel().ok());
  portrait_.Stop();

  auto store = RocksDbStore::Open({.path = dir_.path() + "/db"});
  ASSERT_TRUE(store.ok()) << store.status();
  const std::vector<std::string> plain = {
      "13800138000", "138-0013-8000", "bob.lee@example.com",
      "13911112222", "139 1111 2222", "+86 138 0013 8000"};
  int values = 0;
  for (int c = 0; c < kNumColumns; ++c) {
    ASSERT_TRUE((*store)
                    ->Scan(static_cast<Column>(c), "", "",
                           [&](absl::string_view key, absl::string_view value) {
                             ++values;
                             const std::string lower = absl::AsciiStrToLower(
                                 absl::StrCat(key, "|", value));
                             for (const std::string& p : plain) {
                               EXPECT_FALSE(absl::StrContains(lower, p))
                                   << ColumnName(static_cast<Column>(c))
                                   << " holds " << p;
                             }
                             return true;
                           })
                    .ok());
  }
  EXPECT_GT(values, 10);  // The scan saw the data.
}

TEST_F(ContactsTest, APersonIsOfferedOnlyWhileTheirExposureIsOn) {
  ASSERT_TRUE(UpsertPeople().ok());
  SetContacts(true);
  v1::RecordEventsResponse response;
  ASSERT_TRUE(Upload({kAnnInBook, kBobInBook}, &response).ok());
  Set("ann", ChangeOfPurpose(v1::PEOPLE_YOU_MAY_KNOW_EXPOSURE, false));
  EXPECT_THAT(ContactMatches(), ElementsAre("bob"));
  Set("ann", ChangeOfPurpose(v1::PEOPLE_YOU_MAY_KNOW_EXPOSURE, true));
  EXPECT_THAT(ContactMatches(), ElementsAre("ann", "bob"));
}

TEST_F(ContactsTest, StripErasesTheHashesAndEveryMatch) {
  ASSERT_TRUE(UpsertPeople().ok());
  SetContacts(true);
  v1::RecordEventsResponse response;
  ASSERT_TRUE(Upload({kAnnInBook, kBobInBook}, &response).ok());
  ASSERT_THAT(ContactMatches(), ElementsAre("ann", "bob"));
  SetContacts(false);
  EXPECT_THAT(ContactMatches(), IsEmpty());
  EXPECT_THAT(ContactFeatures(), IsEmpty());
  // Granting again brings nothing back; a new upload matches again.
  SetContacts(true);
  EXPECT_THAT(ContactMatches(), IsEmpty());
  clock_.AdvanceMillis(1000);
  ASSERT_TRUE(Upload({kBobInBook}, &response).ok());
  ASSERT_EQ(response.stored(), 1);
  EXPECT_THAT(ContactMatches(), ElementsAre("bob"));
  // Nothing of the first upload is left in storage.
  portrait_.Stop();
  auto store = RocksDbStore::Open({.path = dir_.path() + "/db"});
  ASSERT_TRUE(store.ok()) << store.status();
  int uploads = 0;
  ASSERT_TRUE((*store)
                  ->Scan(Column::kEvents, "", "",
                         [&](absl::string_view key, absl::string_view) {
                           uploads += absl::StrContains(key, "upload-");
                           return true;
                         })
                  .ok());
  EXPECT_EQ(uploads, 1);
}

TEST_F(ContactsTest, RequestsThatSetHashesOrCarryJunkAreInvalid) {
  v1::RecordEventsRequest request;
  v1::Event* e = request.add_events();
  e->set_event_id("e1");
  e->set_user_id("dan");
  e->set_signal(v1::CONTACTS);
  e->set_occurred_at_ms(kNow);
  e->mutable_contacts()->add_contact_hashes("0123456789abcdef0123");
  v1::RecordEventsResponse response;
  {
    grpc::ClientContext context;
    const grpc::Status status =
        portrait_.ingest->RecordEvents(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(),
                HasSubstr("events[0].contacts.contact_hashes"));
  }
  e->mutable_contacts()->clear_contact_hashes();
  e->mutable_contacts()->add_contacts("Grandma's landline");
  {
    grpc::ClientContext context;
    const grpc::Status status =
        portrait_.ingest->RecordEvents(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(),
                HasSubstr("events[0].contacts.contacts[0]"));
    EXPECT_THAT(status.error_message(), Not(HasSubstr("Grandma")));
  }
}

TEST(ContactsWithoutKeyTest, AServerWithoutAKeyRefusesContacts) {
  TempDir dir;
  FakeClock clock(kNow);
  PortraitServer::Options options =
      TestServerOptions(dir.path() + "/db", &clock);
  options.contact_key.clear();
  TestServer portrait;
  ASSERT_TRUE(portrait.Start(options));

  v1::UpsertItemsRequest items;
  items.add_items()->mutable_person()->set_user_id("ann");
  items.add_items()->mutable_person()->add_contacts(kAnnPhone);
  items.mutable_items(1)->mutable_person()->set_user_id("bob");
  v1::UpsertItemsResponse upserted;
  {
    grpc::ClientContext context;
    const grpc::Status status =
        portrait.ingest->UpsertItems(&context, items, &upserted);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(status.error_message(),
                AllOf(HasSubstr("items[1].person.contacts"),
                      HasSubstr("--contact_key_file")));
  }
  v1::RecordEventsRequest events;
  v1::Event* e = events.add_events();
  e->set_event_id("e1");
  e->set_user_id("dan");
  e->set_signal(v1::CONTACTS);
  e->set_occurred_at_ms(kNow);
  e->mutable_contacts()->add_contacts(kAnnPhone);
  v1::RecordEventsResponse recorded;
  {
    grpc::ClientContext context;
    const grpc::Status status =
        portrait.ingest->RecordEvents(&context, events, &recorded);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(status.error_message(), HasSubstr("events[0].contacts"));
  }
  // Nothing of either request was stored: ann is not a person yet.
  v1::RecommendRequest request;
  request.set_user_id("dan");
  request.set_surface(v1::PEOPLE);
  request.set_limit(20);
  v1::RecommendResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(portrait.recommend->Recommend(&context, request, &response).ok());
  EXPECT_THAT(response.items(), IsEmpty());
}

TEST(ContactsWithoutKeyTest, ABadKeyStopsTheServerFromStarting) {
  TempDir dir;
  FakeClock clock(kNow);
  PortraitServer::Options options =
      TestServerOptions(dir.path() + "/db", &clock);
  options.contact_key = "too short";
  auto server = PortraitServer::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(server.status().message()),
              AllOf(HasSubstr("contact key"), Not(HasSubstr("too short"))));
}

}  // namespace
}  // namespace portrait
