#include "services/ingest/contacts.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/escaping.h"
#include "base/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace portrait {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kKey[] = "a test contact key of at least thirty-two bytes";

ContactHasher Hasher(std::string key = kKey, std::string country = "86") {
  absl::StatusOr<ContactHasher> hasher =
      ContactHasher::Create(std::move(key), std::move(country));
  EXPECT_THAT(hasher.status(), IsOk());
  return *std::move(hasher);
}

std::string HashOf(const ContactHasher& hasher, absl::string_view raw) {
  absl::StatusOr<std::string> hash = hasher.Hash(raw, "f");
  EXPECT_THAT(hash.status(), IsOk()) << raw;
  return hash.value_or("");
}

std::string CanonicalOf(absl::string_view raw) {
  std::optional<ParsedContact> parsed = ParseContact(raw);
  return parsed.has_value() ? Hasher().Canonical(*parsed) : "(none)";
}

TEST(ParseContactTest, SpellingsOfOneNumberAreOneCanonicalForm) {
  for (const char* raw : {"+86 138 0013 8000", "0086-138-0013-8000",
                          "13800138000", " (138) 0013.8000 ", "013800138000"}) {
    EXPECT_EQ(CanonicalOf(raw), "tel:+8613800138000") << raw;
  }
}

TEST(ParseContactTest, InternationalNumbersKeepTheirCountry) {
  EXPECT_EQ(CanonicalOf("+44 20 7946 0958"), "tel:+442079460958");
  EXPECT_EQ(CanonicalOf("0044 20 7946 0958"), "tel:+442079460958");
}

TEST(ParseContactTest, EmailIsLowerCasedAndTrimmed) {
  EXPECT_EQ(CanonicalOf("  Ann.Lee@Example.COM\n"),
            "mailto:ann.lee@example.com");
}

TEST(ParseContactTest, RejectsWhatIsNeither) {
  for (const char* raw :
       {"", "   ", "Mum", "123", "+123456", "+1234567890123456", "ann@",
        "@example.com", "ann@example", "ann@@example.com",
        "ann lee@example.com", "ann@.example.com", "ann@example.com.",
        "138-0013-8000 ext 1", "+0086138001380"}) {
    EXPECT_FALSE(ParseContact(raw).has_value()) << raw;
  }
  EXPECT_FALSE(ParseContact(std::string(kMaxContactBytes + 1, '1')));
  const std::string long_local = std::string(65, 'a') + "@example.com";
  EXPECT_FALSE(ParseContact(long_local).has_value());
}

TEST(ContactHasherTest, HashDependsOnTheKeyAndNotTheSpelling) {
  // One person's number spelled two ways gives one 32-byte hash; another
  // key gives another.
  const ContactHasher a = Hasher();
  const ContactHasher b = Hasher(std::string(kKey) + "!");
  const std::string h1 = HashOf(a, "+86 138 0013 8000");
  const std::string h2 = HashOf(a, "13800138000");
  const std::string h3 = HashOf(b, "13800138000");
  EXPECT_EQ(h1.size(), 32u);
  EXPECT_EQ(h1, h2);
  EXPECT_NE(h1, h3);
}

TEST(ContactHasherTest, KnownAnswer) {
  // HMAC-SHA256(key = 32 bytes 0x0b, "tel:+8613800138000"), computed with
  // `printf 'tel:+8613800138000' | openssl dgst -sha256 -mac HMAC -macopt
  // hexkey:0b0b…0b` (32 bytes).
  const ContactHasher hasher = Hasher(std::string(32, '\x0b'));
  const std::string hash = HashOf(hasher, "13800138000");
  EXPECT_EQ(absl::BytesToHexString(hash),
            "5da7d0572ca29679a9b32b77cf1c028031282aa53d3ce1626f645891333dfd44");
}

TEST(ContactHasherTest, DefaultCountryAppliesToNationalNumbersOnly) {
  const ContactHasher china = Hasher(kKey, "86");
  const ContactHasher uk = Hasher(kKey, "44");
  const std::string c1 = HashOf(china, "020 7946 0958");
  const std::string c2 = HashOf(uk, "020 7946 0958");
  const std::string c3 = HashOf(china, "+44 20 7946 0958");
  const std::string c4 = HashOf(uk, "+44 20 7946 0958");
  EXPECT_NE(c1, c2);
  EXPECT_EQ(c2, c3);
  EXPECT_EQ(c3, c4);
}

TEST(ContactHasherTest, CreateChecksKeyAndCountry) {
  EXPECT_THAT(ContactHasher::Create("short", "86").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("32")));
  for (const char* country : {"", "0", "086", "1234", "8a"}) {
    EXPECT_THAT(
        ContactHasher::Create(kKey, country).status(),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("country code")))
        << country;
  }
}

TEST(ContactHasherTest, HashContactsReplacesPlainValuesDeduplicated) {
  v1::ContactsPayload payload;
  payload.add_contacts("13800138000");
  payload.add_contacts("ann@example.com");
  payload.add_contacts("+86 138 0013 8000");
  ASSERT_THAT(Hasher().HashContacts(&payload, "events[0]"), IsOk());
  EXPECT_EQ(payload.contacts_size(), 0);
  EXPECT_EQ(payload.contact_hashes_size(), 2);
  EXPECT_THAT(payload.DebugString(), Not(HasSubstr("138")));

  v1::Person person;
  person.add_contacts("not a contact");
  EXPECT_THAT(Hasher().HashContacts(&person, "items[2].person"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("items[2].person.contacts[0]"),
                             Not(HasSubstr("not a contact")))));
}

class KeyFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text, mode_t mode) {
    const std::string path = ::testing::TempDir() + "/contact.key";
    std::remove(path.c_str());
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }
};

TEST_F(KeyFileTest, ReadsHex) {
  const std::string hex(64, 'a');
  EXPECT_THAT(ReadContactKeyFile(Write(hex + "\n", 0600)),
              IsOkAndHolds(std::string(32, '\xaa')));
}

TEST_F(KeyFileTest, RefusesAKeyOthersMayRead) {
  const std::string hex(64, 'a');
  EXPECT_THAT(ReadContactKeyFile(Write(hex, 0644)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("0644"), HasSubstr("chmod 600"))));
}

TEST_F(KeyFileTest, RefusesShortOrNonHexKeysWithoutShowingThem) {
  for (const std::string& text :
       {std::string(62, 'a'), std::string(63, 'a'), std::string(63, 'a') + "g",
        std::string("secret-secret-secret-secret-secret-secret-secret-secret-"
                    "secret-secret")}) {
    EXPECT_THAT(
        ReadContactKeyFile(Write(text, 0600)),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 AllOf(HasSubstr("64 hex digits"), Not(HasSubstr("aaaa")),
                       Not(HasSubstr("secret")))))
        << text;
  }
  EXPECT_THAT(ReadContactKeyFile(::testing::TempDir() + "/absent.key"),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace portrait
