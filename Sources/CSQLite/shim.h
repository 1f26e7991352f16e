// The system's SQLite 3 (Debian's libsqlite3-dev), with what Swift cannot
// import: SQLITE_TRANSIENT is a cast of -1 to a destructor pointer.
#include <sqlite3.h>

static inline sqlite3_destructor_type relay_sqlite_transient(void) { return SQLITE_TRANSIENT; }
