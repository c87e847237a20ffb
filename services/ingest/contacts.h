// Contacts: address-book entries (phone numbers, e-mail addresses) turned
// into keyed hashes, the only form in which Portrait keeps them.
//
// An entry is first parsed into a canonical form ("tel:+8613800138000",
// "mailto:ann@example.com"), so that the spellings one person's number or
// address takes in different address books give one hash. The hash is
// HMAC-SHA256 under the server's contact key: without the key, a stolen
// database cannot be reversed by hashing every phone number. The key is
// read from a file named in the server's configuration and is never logged,
// served or exported. docs/CONTACTS.md has the rules.
#ifndef PORTRAIT_SERVICES_INGEST_CONTACTS_H_
#define PORTRAIT_SERVICES_INGEST_CONTACTS_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "portrait/v1/ingest.pb.h"

namespace portrait {

inline constexpr int kMaxContactBytes = 254;
inline constexpr int kMinContactKeyBytes = 32;

// One parsed entry.
struct ParsedContact {
  enum Kind { kPhone, kEmail };
  Kind kind = kPhone;
  // kPhone: the digits, without country code when `international` is false
  // (and without a national trunk "0"). kEmail: the address, lower-cased.
  std::string value;
  bool international = false;
};

// Parses one entry, or nullopt if it is neither an e-mail address (one "@",
// a non-empty local part of at most 64 bytes, a domain with a dot, no spaces
// or control characters) nor a phone number (digits with optional spaces,
// "-", ".", "(" and ")"; "+" or "00" then 7 to 15 digits, or 4 to 14
// national digits). Surrounding spaces are ignored.
std::optional<ParsedContact> ParseContact(absl::string_view raw);

// Hashes contacts under a key. Thread-safe (immutable).
class ContactHasher {
 public:
  // `key`: at least kMinContactKeyBytes bytes. `country_code`: the default
  // country calling code for national numbers, 1 to 3 digits, not starting
  // with 0. INVALID_ARGUMENT otherwise (the message never shows the key).
  static absl::StatusOr<ContactHasher> Create(std::string key,
                                              std::string country_code);

  // The canonical form of a parsed entry.
  std::string Canonical(const ParsedContact& contact) const;
  // The 32-byte keyed hash of `raw`, or INVALID_ARGUMENT naming `field` (and
  // never the value) if it does not parse.
  absl::StatusOr<std::string> Hash(absl::string_view raw,
                                   absl::string_view field) const;

  // Replaces the plain contacts of a CONTACTS event or of a person with
  // their hashes; `field` names the event or item in errors.
  absl::Status HashContacts(v1::ContactsPayload* contacts,
                            absl::string_view field) const;
  absl::Status HashContacts(v1::Person* person, absl::string_view field) const;

 private:
  ContactHasher(std::string key, std::string country_code)
      : key_(std::move(key)), country_code_(std::move(country_code)) {}

  std::string key_;
  std::string country_code_;
};

// FAILED_PRECONDITION for contacts in `field` on a server without a contact
// key.
absl::Status NoContactKey(absl::string_view field);

// Reads a contact key file: hex digits (at least 2 × kMinContactKeyBytes),
// surrounding white space ignored, e.g. made by `openssl rand -hex 32`.
// Errors: NOT_FOUND (unreadable); FAILED_PRECONDITION if group or others may
// read it; INVALID_ARGUMENT if it is not such hex. No message shows the key.
absl::StatusOr<std::string> ReadContactKeyFile(const std::string& path);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_INGEST_CONTACTS_H_
