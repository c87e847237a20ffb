// The ledger's on-disk records (portrait.storage.LedgerRecord and
// ReceiptRecord) and the RPC messages they are served as, converted field by
// field in both directions. The ledger reads and writes only the records;
// these are its edge.
#ifndef PORTRAIT_SERVICES_CONSENT_LEDGER_RECORDS_H_
#define PORTRAIT_SERVICES_CONSENT_LEDGER_RECORDS_H_

#include "portrait/storage/records.pb.h"
#include "portrait/v1/consent.pb.h"

namespace portrait {

storage::LedgerRecord ToLedgerRecord(const v1::LedgerEntry& entry);
v1::LedgerEntry ToLedgerEntry(const storage::LedgerRecord& record);

storage::ReceiptRecord ToReceiptRecord(const v1::ErasureReceipt& receipt);
v1::ErasureReceipt ToErasureReceipt(const storage::ReceiptRecord& record);

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_CONSENT_LEDGER_RECORDS_H_
