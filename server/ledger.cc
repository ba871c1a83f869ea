// Which ledger a configuration names (see ledger.h).
#include "server/ledger.h"

#include "server/postgres_ledger.h"
#include "server/sqlite_ledger.h"

namespace scangate {

bool IsPostgresLedger(const std::string& where) {
  return where.rfind("postgresql://", 0) == 0 || where.rfind("postgres://", 0) == 0;
}

namespace {

template <class Backend>
Expected<std::unique_ptr<Ledger>> AsLedger(Expected<std::unique_ptr<Backend>> opened) {
  if (!opened.ok()) return opened.error();
  return std::unique_ptr<Ledger>(std::move(opened.value()));
}

}  // namespace

Expected<std::unique_ptr<Ledger>> OpenLedger(const std::string& where) {
  if (IsPostgresLedger(where)) return AsLedger(PostgresLedger::Open(where));
  return AsLedger(SqliteLedger::Open(where));
}

}  // namespace scangate
