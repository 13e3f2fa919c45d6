"""The accountant's desk: ledger, exports, tax report, receipts."""
