// Which ledger a configuration names (see ledger.h).
#include "server/ledger.h"

#include "server/postgres_ledger.h"
#include "server/sqlite_ledger.h"

namespace scangate {

bool IsPostgresLedger(const std::string& where) {
  return where.rfind("postgresql://", 0) == 0 || where.rfind("postgres://", 0) == 0;
}

std::unique_ptr<Ledger> OpenLedger(const std::string& where, std::string& error) {
  if (IsPostgresLedger(where)) return PostgresLedger::Open(where, error);
  return SqliteLedger::Open(where, error);
}

}  // namespace scangate
