#include "services/consent/ledger_records.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace portrait {
namespace {

using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Reflection;

// Sets every field of `message` (two elements in repeated fields) to a value
// other than its default; of each oneof, the member `choice` (mod its size).
void FillEveryField(Message& message, int choice) {
  const auto* descriptor = message.GetDescriptor();
  const Reflection* reflection = message.GetReflection();
  for (int f = 0; f < descriptor->field_count(); ++f) {
    const FieldDescriptor* field = descriptor->field(f);
    if (const auto* oneof = field->containing_oneof()) {
      if (oneof->field(choice % oneof->field_count()) != field) continue;
    }
    const int n = field->is_repeated() ? 2 : 1;
    for (int i = 0; i < n; ++i) {
      const int value = field->number() + 10 * i + 1;
      const bool add = field->is_repeated();
      switch (field->cpp_type()) {
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
          const int number = e->value(1 + value % (e->value_count() - 1))
                                 ->number();
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

// Every field survives the trip to the record and back, whichever change
// an entry holds: a field added to the RPC message but not to the record (or
// not copied) fails here.
TEST(LedgerRecordsTest, LedgerEntriesRoundTripEveryField) {
  const int changes = v1::ConsentChange::descriptor()->field_count();
  for (int choice = 0; choice < changes; ++choice) {
    v1::LedgerEntry entry;
    FillEveryField(entry, choice);
    const v1::LedgerEntry back = ToLedgerEntry(ToLedgerRecord(entry));
    EXPECT_EQ(back.SerializeAsString(), entry.SerializeAsString())
        << entry.ShortDebugString() << "\n" << back.ShortDebugString();
  }
}

TEST(LedgerRecordsTest, ReceiptsRoundTripEveryField) {
  v1::ErasureReceipt receipt;
  FillEveryField(receipt, 0);
  ASSERT_EQ(receipt.components_size(), 2);
  const v1::ErasureReceipt back = ToErasureReceipt(ToReceiptRecord(receipt));
  EXPECT_EQ(back.SerializeAsString(), receipt.SerializeAsString())
      << receipt.ShortDebugString() << "\n" << back.ShortDebugString();
}

// The records read what schema 1 wrote: the RPC messages' bytes.
TEST(LedgerRecordsTest, RecordsParseTheBytesOfTheRpcMessages) {
  v1::LedgerEntry entry;
  FillEveryField(entry, 2);
  storage::LedgerRecord record;
  ASSERT_TRUE(record.ParseFromString(entry.SerializeAsString()));
  EXPECT_EQ(ToLedgerEntry(record).SerializeAsString(),
            entry.SerializeAsString());
  v1::ErasureReceipt receipt;
  FillEveryField(receipt, 0);
  storage::ReceiptRecord stored;
  ASSERT_TRUE(stored.ParseFromString(receipt.SerializeAsString()));
  EXPECT_EQ(ToErasureReceipt(stored).SerializeAsString(),
            receipt.SerializeAsString());
}

}  // namespace
}  // namespace portrait
