#include "services/ingest/contacts.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace portrait {
namespace {

constexpr int kMaxLocalPartBytes = 64;

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::optional<ParsedContact> ParseEmail(absl::string_view address) {
  const size_t at = address.find('@');
  if (at == absl::string_view::npos ||
      address.find('@', at + 1) != absl::string_view::npos) {
    return std::nullopt;
  }
  const absl::string_view local = address.substr(0, at);
  const absl::string_view domain = address.substr(at + 1);
  if (local.empty() || local.size() > kMaxLocalPartBytes) return std::nullopt;
  const size_t dot = domain.find('.');
  if (dot == absl::string_view::npos || domain.front() == '.' ||
      domain.back() == '.') {
    return std::nullopt;
  }
  for (char c : address) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= ' ' || u == 0x7f) return std::nullopt;
  }
  return ParsedContact{ParsedContact::kEmail, absl::AsciiStrToLower(address),
                       false};
}

std::optional<ParsedContact> ParsePhone(absl::string_view number) {
  std::string digits;
  bool plus = false;
  for (size_t i = 0; i < number.size(); ++i) {
    const char c = number[i];
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digits.push_back(c);
    } else if (c == '+' && i == 0) {
      plus = true;
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
      return std::nullopt;
    }
  }
  ParsedContact parsed{ParsedContact::kPhone, "", false};
  if (plus || absl::StartsWith(digits, "00")) {
    parsed.international = true;
    parsed.value = plus ? digits : digits.substr(2);
    if (parsed.value.size() < 7 || parsed.value.size() > 15 ||
        parsed.value[0] == '0') {
      return std::nullopt;
    }
    return parsed;
  }
  // A national number: drop the trunk prefix.
  parsed.value = absl::StartsWith(digits, "0") ? digits.substr(1) : digits;
  if (parsed.value.size() < 4 || parsed.value.size() > 14) return std::nullopt;
  return parsed;
}

}  // namespace

std::optional<ParsedContact> ParseContact(absl::string_view raw) {
  if (raw.size() > static_cast<size_t>(kMaxContactBytes)) return std::nullopt;
  const absl::string_view trimmed = absl::StripAsciiWhitespace(raw);
  if (trimmed.empty()) return std::nullopt;
  if (trimmed.find('@') != absl::string_view::npos) return ParseEmail(trimmed);
  return ParsePhone(trimmed);
}

absl::StatusOr<ContactHasher> ContactHasher::Create(std::string key,
                                                    std::string country_code) {
  if (key.size() < static_cast<size_t>(kMinContactKeyBytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("contact key: is ", key.size(), " bytes; at least ",
                     kMinContactKeyBytes, " are required"));
  }
  if (country_code.empty() || country_code.size() > 3 ||
      !AllDigits(country_code) || country_code[0] == '0') {
    return absl::InvalidArgumentError(
        absl::StrCat("contact country code: \"", absl::CEscape(country_code),
                     "\" is not 1 to 3 digits without a leading 0"));
  }
  return ContactHasher(std::move(key), std::move(country_code));
}

std::string ContactHasher::Canonical(const ParsedContact& contact) const {
  if (contact.kind == ParsedContact::kEmail) {
    return absl::StrCat("mailto:", contact.value);
  }
  return contact.international
             ? absl::StrCat("tel:+", contact.value)
             : absl::StrCat("tel:+", country_code_, contact.value);
}

absl::StatusOr<std::string> ContactHasher::Hash(absl::string_view raw,
                                                absl::string_view field) const {
  const std::optional<ParsedContact> parsed = ParseContact(raw);
  if (!parsed.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": is neither a phone number nor an e-mail address (",
        raw.size(), " bytes; docs/CONTACTS.md has the forms accepted)"));
  }
  const std::string canonical = Canonical(*parsed);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(canonical.data()),
       canonical.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

namespace {

// Hashes `plain` into `hashes` (which must be empty), one entry per distinct
// contact, in first-seen order; then clears `plain`.
absl::Status HashList(const ContactHasher& hasher,
                      google::protobuf::RepeatedPtrField<std::string>* plain,
                      google::protobuf::RepeatedPtrField<std::string>* hashes,
                      absl::string_view field) {
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < plain->size(); ++i) {
    absl::StatusOr<std::string> hash =
        hasher.Hash((*plain)[i], absl::StrCat(field, "[", i, "]"));
    if (!hash.ok()) return hash.status();
    if (seen.insert(*hash).second) *hashes->Add() = *std::move(hash);
  }
  plain->Clear();
  return absl::OkStatus();
}

}  // namespace

absl::Status ContactHasher::HashContacts(v1::ContactsPayload* contacts,
                                         absl::string_view field) const {
  return HashList(*this, contacts->mutable_contacts(),
                  contacts->mutable_contact_hashes(),
                  absl::StrCat(field, ".contacts"));
}

absl::Status ContactHasher::HashContacts(v1::Person* person,
                                         absl::string_view field) const {
  return HashList(*this, person->mutable_contacts(),
                  person->mutable_contact_hashes(),
                  absl::StrCat(field, ".contacts"));
}

absl::Status NoContactKey(absl::string_view field) {
  return absl::FailedPreconditionError(
      absl::StrCat(field,
                   ": this server has no contact key (portraitd "
                   "--contact_key_file), so it cannot store contacts"));
}

absl::StatusOr<std::string> ReadContactKeyFile(const std::string& path) {
  struct stat info;
  std::ifstream in(path, std::ios::binary);
  if (!in || ::stat(path.c_str(), &info) != 0) {
    return absl::NotFoundError(
        absl::StrCat("contact key file ", path, ": cannot be read"));
  }
  if ((info.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "contact key file %s: group or others may read it (mode %04o); "
        "chmod 600 it",
        path, info.st_mode & 07777));
  }
  std::stringstream text;
  text << in.rdbuf();
  const std::string contents = text.str();
  const absl::string_view hex = absl::StripAsciiWhitespace(contents);
  bool is_hex = hex.size() % 2 == 0;
  for (char c : hex) {
    is_hex = is_hex && absl::ascii_isxdigit(static_cast<unsigned char>(c));
  }
  if (!is_hex || hex.size() < 2 * static_cast<size_t>(kMinContactKeyBytes)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "contact key file ", path, ": must hold at least ",
        2 * kMinContactKeyBytes,
        " hex digits (an even number), e.g. from `openssl rand -hex 32`"));
  }
  return absl::HexStringToBytes(hex);
}

}  // namespace portrait
