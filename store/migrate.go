package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"hash/crc32"
	"io/fs"
	"time"

	"github.com/gofrs/flock"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations are the schema's versions, applied in order by goose at every Open. A change to the
// schema is a new file; a file once released is never edited.
//
//go:embed migrations/*.sql
var migrations embed.FS

// versionTable is goose's record of the applied versions, named for cartback so that a database
// shared with another goose user keeps both apart.
const versionTable = "cartback_schema_version"

// migrationLockID is the PostgreSQL advisory lock of the migrations (see newProvider).
var migrationLockID = int64(crc32.ChecksumIEEE([]byte("cartback store migrations")))

// fileLockRetry is how often a copy waiting for another's SQLite start tries the lock again.
const fileLockRetry = 20 * time.Millisecond

// startUp connects and applies the pending migrations, safely when several copies start at once.
func startUp(ctx context.Context, db *sql.DB, loc location) error {
	run := func() error {
		if err := db.PingContext(ctx); err != nil {
			return fmt.Errorf("store: connecting to the database: %w", err)
		}
		return migrate(ctx, db, loc)
	}
	if loc.kind == sqliteKind {
		// goose has no locker for SQLite. An exclusive lock on a file beside the database holds
		// the whole start: the first connection too, since switching a new file to WAL takes a
		// lock that SQLite does not wait for (busy_timeout does not apply: "database is locked"
		// at once), then goose's run, its version table's creation included. The system
		// releases the lock if the process dies. It is a file of its own: SQLite's locks on the
		// database file are POSIX locks, which closing any other descriptor of it would drop.
		return withFileLock(ctx, loc.dsn+"-startup.lock", run)
	}
	return run()
}

// migrate applies the pending migrations; on PostgreSQL, goose's locker serialises the copies.
func migrate(ctx context.Context, db *sql.DB, loc location) error {
	provider, err := newProvider(db, loc)
	if err != nil {
		return fmt.Errorf("store: reading the migrations: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("store: migrating the database: %w", err)
	}
	return nil
}

// newProvider is goose over the embedded migrations, for loc's database. On PostgreSQL, the
// copies starting at once take a session advisory lock in turn, polled every second for up to
// five minutes: the first applies what is missing, the others then find nothing to do.
func newProvider(db *sql.DB, loc location) (*goose.Provider, error) {
	schema, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true), goose.WithTableName(versionTable)}
	switch loc.kind {
	case postgresKind:
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, err
		}
		return goose.NewProvider(goose.DialectPostgres, db, schema, append(opts, goose.WithSessionLocker(locker))...)
	case sqliteKind:
		return goose.NewProvider(goose.DialectSQLite3, db, schema, opts...)
	}
	return nil, fmt.Errorf("no migrations for database kind %d", loc.kind)
}

func withFileLock(ctx context.Context, path string, fn func() error) error {
	l := flock.New(path)
	locked, err := l.TryLockContext(ctx, fileLockRetry)
	if err == nil && !locked {
		err = ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("store: waiting for the start-up lock %s: %w", path, err)
	}
	defer l.Unlock()
	return fn()
}
