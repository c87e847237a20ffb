// The on-disk records (portrait.storage, records.proto) and the RPC messages
// (portrait.v1) they are received or served as, converted field by field.
// Services convert where they write to or read from the Store, so that a
// change to the API never changes what is on disk. records_test.cc checks
// that every field of each message survives the trip.
#ifndef PORTRAIT_SERVICES_STORAGE_RECORDS_H_
#define PORTRAIT_SERVICES_STORAGE_RECORDS_H_

#include "portrait/storage/records.pb.h"
#include "portrait/v1/consent.pb.h"
#include "portrait/v1/ingest.pb.h"

namespace portrait {

storage::EventRecord ToRecord(const v1::Event& event);
v1::Event FromRecord(const storage::EventRecord& record);

storage::ItemRecord ToRecord(const v1::Item& item);
v1::Item FromRecord(const storage::ItemRecord& record);

storage::LedgerRecord ToRecord(const v1::LedgerEntry& entry);
v1::LedgerEntry FromRecord(const storage::LedgerRecord& record);

storage::ReceiptRecord ToRecord(const v1::ErasureReceipt& receipt);
v1::ErasureReceipt FromRecord(const storage::ReceiptRecord& record);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_STORAGE_RECORDS_H_
