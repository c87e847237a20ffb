#include "services/storage/records.h"

#include <algorithm>
#include <string>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace portrait {
namespace {

using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Reflection;

// Request-only fields: plain contacts, which the ingest path replaces by
// their hashes before anything is stored, so no record has room for them.
bool RequestOnly(const FieldDescriptor* field) {
  return field->full_name() == "portrait.v1.ContactsPayload.contacts" ||
         field->full_name() == "portrait.v1.Person.contacts";
}

// Sets every field of `message` (two elements in repeated fields) but the
// request-only ones to a value other than its default; of each oneof, the
// member `choice` (mod its size).
void FillEveryField(Message& message, int choice) {
  const auto* descriptor = message.GetDescriptor();
  const Reflection* reflection = message.GetReflection();
  for (int f = 0; f < descriptor->field_count(); ++f) {
    const FieldDescriptor* field = descriptor->field(f);
    if (RequestOnly(field)) continue;
    if (const auto* oneof = field->containing_oneof()) {
      if (oneof->field(choice % oneof->field_count()) != field) continue;
    }
    const int n = field->is_repeated() ? 2 : 1;
    for (int i = 0; i < n; ++i) {
      const int value = field->number() + 10 * i + 1;
      const bool add = field->is_repeated();
      switch (field->cpp_type()) {
        case FieldDescriptor::CPPTYPE_DOUBLE:
          add ? reflection->AddDouble(&message, field, value + 0.5)
              : reflection->SetDouble(&message, field, value + 0.5);
          break;
        case FieldDescriptor::CPPTYPE_INT32:
          add ? reflection->AddInt32(&message, field, value)
              : reflection->SetInt32(&message, field, value);
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          add ? reflection->AddInt64(&message, field, value)
              : reflection->SetInt64(&message, field, value);
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          add ? reflection->AddBool(&message, field, true)
              : reflection->SetBool(&message, field, true);
          break;
        case FieldDescriptor::CPPTYPE_STRING:
          add ? reflection->AddString(&message, field, absl::StrCat("s", value))
              : reflection->SetString(&message, field,
                                      absl::StrCat("s", value));
          break;
        case FieldDescriptor::CPPTYPE_ENUM: {
          const auto* e = field->enum_type();
          const int number =
              e->value(1 + value % (e->value_count() - 1))->number();
          add ? reflection->AddEnumValue(&message, field, number)
              : reflection->SetEnumValue(&message, field, number);
          break;
        }
        case FieldDescriptor::CPPTYPE_MESSAGE:
          FillEveryField(add ? *reflection->AddMessage(&message, field)
                             : *reflection->MutableMessage(&message, field),
                         choice);
          break;
        default:
          FAIL() << field->full_name() << ": a type this test cannot fill";
      }
    }
  }
}

// The largest oneof in `message` (and the messages it holds): the number of
// choices FillEveryField needs to set each member once.
int Choices(const google::protobuf::Descriptor* message) {
  int n = 1;
  for (int o = 0; o < message->oneof_decl_count(); ++o) {
    n = std::max(n, message->oneof_decl(o)->field_count());
  }
  for (int f = 0; f < message->field_count(); ++f) {
    if (const auto* sub = message->field(f)->message_type()) {
      n = std::max(n, Choices(sub));
    }
  }
  return n;
}

// For every choice of oneof members: every field survives the trip to the
// record and back (a field added to the RPC message but not to the record,
// or not copied, fails here), and the record reads the message's bytes,
// which is what schema 1 wrote.
template <typename Message>
void CheckRoundTrips() {
  const int choices = Choices(Message::descriptor());
  for (int choice = 0; choice < choices; ++choice) {
    Message message;
    FillEveryField(message, choice);
    const std::string bytes = message.SerializeAsString();
    const auto record = ToRecord(message);
    EXPECT_EQ(FromRecord(record).SerializeAsString(), bytes)
        << "choice " << choice << ": " << message.ShortDebugString() << "\n"
        << FromRecord(record).ShortDebugString();
    std::decay_t<decltype(record)> parsed;
    ASSERT_TRUE(parsed.ParseFromString(bytes));
    EXPECT_EQ(parsed.SerializeAsString(), record.SerializeAsString())
        << "choice " << choice;
  }
}

TEST(RecordsTest, EventsRoundTripEveryField) { CheckRoundTrips<v1::Event>(); }

TEST(RecordsTest, ItemsRoundTripEveryField) { CheckRoundTrips<v1::Item>(); }

TEST(RecordsTest, PlainContactsHaveNoPlaceInARecord) {
  v1::Event event;
  event.mutable_contacts()->add_contacts("+86 138 0013 8000");
  EXPECT_EQ(ToRecord(event).ShortDebugString(), "contacts { }");
  v1::Item item;
  item.mutable_person()->add_contacts("ann@example.com");
  EXPECT_EQ(ToRecord(item).ShortDebugString(), "person { }");
}

TEST(RecordsTest, LedgerEntriesRoundTripEveryField) {
  CheckRoundTrips<v1::LedgerEntry>();
}

TEST(RecordsTest, ReceiptsRoundTripEveryField) {
  CheckRoundTrips<v1::ErasureReceipt>();
}

}  // namespace
}  // namespace portrait
