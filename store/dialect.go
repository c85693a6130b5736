package store

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// What differs between PostgreSQL and SQLite lives in this file and in migrate.go. The queries
// are written once, in SQL both accept: $N placeholders (modernc's driver binds $N by position,
// as pgx does), ON CONFLICT upserts, row values, RETURNING, and times as BIGINT microseconds
// since the Unix epoch. Integers compare and sort the same everywhere, which keyset pagination
// needs; SQLite has no time type of its own and its drivers' text forms do not sort.

const (
	// sqliteBusyTimeout is how long a write waits for another process's transaction on the same
	// file (another Store, another cartback copy) before failing.
	sqliteBusyTimeout = 10 * time.Second

	// postgresMaxConns is each copy's share of PostgreSQL's connections (100 by default, with
	// Temporal's own on the same server in docker-compose): ample for point queries.
	postgresMaxConns    = 10
	postgresConnMaxIdle = 5 * time.Minute
)

// openDB opens the pool for loc, set up for its database.
func openDB(loc location) (*sql.DB, error) {
	switch loc.kind {
	case postgresKind:
		db, err := sql.Open("pgx", loc.dsn)
		if err != nil {
			// pgx's parse errors redact the password.
			return nil, fmt.Errorf("%w: %v; want %s", ErrBadURL, err, URLForms)
		}
		db.SetMaxOpenConns(postgresMaxConns)
		db.SetMaxIdleConns(postgresMaxConns)
		db.SetConnMaxIdleTime(postgresConnMaxIdle)
		return db, nil
	case sqliteKind:
		dir := filepath.Dir(loc.dsn)
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			return nil, fmt.Errorf("store: the SQLite database's directory %s does not exist (%v): create it first", dir, err)
		}
		db, err := sql.Open("sqlite", sqliteDSN(loc.dsn))
		if err != nil {
			return nil, err
		}
		// One connection: SQLite runs one writer at a time anyway, and with one connection this
		// process never contends with itself (no SQLITE_BUSY between its own goroutines, which
		// queue for the connection instead). Other processes on the file are waited for through
		// busy_timeout. Every query here is a point lookup or a short page, so reads lose nothing
		// worth a second pool. The connection is kept for the Store's life.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		return db, nil
	}
	return nil, fmt.Errorf("%w: want %s", ErrBadURL, URLForms)
}

// sqliteDSN is modernc's DSN for the file at path, with the options every connection sets:
//   - busy_timeout first (the driver applies it before the rest): wait for other writers;
//   - WAL: readers do not block the writer nor it them, and commits are appends;
//   - synchronous FULL: a commit is on disk when it returns; consent must survive a power cut;
//   - foreign_keys on, as PostgreSQL always enforces them;
//   - _txlock=immediate: BEGIN takes the write lock at once. A deferred transaction that reads
//     and then writes fails with SQLITE_BUSY, without waiting, when another process wrote
//     meanwhile; an immediate one waits its turn through busy_timeout instead.
func sqliteDSN(path string) string {
	return path + fmt.Sprintf("?_pragma=busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()) +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_txlock=immediate"
}

// isUniqueViolation reports whether err is a unique or primary key constraint refusing a row:
// two PostgreSQL transactions racing for the same key (SQLite's writers never race: each
// transaction holds the write lock from its start).
func isUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505" // unique_violation
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return lite.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || lite.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// micros is how a time is stored: microseconds since the Unix epoch, UTC by construction.
// PostgreSQL keeps times to the microsecond, so this loses nothing it would have kept.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros is a stored time, in UTC.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
