// Package store is cartback's own database, shared by every worker and server copy: the
// suppressions that keep a customer's "stop" for good, the frequency cap's last accepted
// template, and the WhatsApp user ids that name a customer.
//
// One Store works on PostgreSQL (production: docker-compose's, in a database of cartback's own)
// or on a SQLite file (`cartback dev`, tests, a single machine). Open applies the schema's
// migrations (embedded, run by goose), safely when several copies start at once.
//
// Every row is keyed by the customer key, the keyed HMAC that names workflows
// (workflows.CustomerKey); a phone number is kept only in its masked form (phone.Mask), for an
// operator to recognise the customer. Times are kept in UTC, to the microsecond.
package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Store is cartback's database. It is safe for concurrent use.
type Store struct {
	db  *sql.DB
	now func() time.Time // when a caller gives no time
}

// Open connects to the database rawURL names and brings its schema up to date. Accepted forms
// (see URLForms):
//
//	postgres://user:password@host:5432/database?sslmode=disable   (postgresql:// too; pgx's parameters)
//	sqlite:///var/lib/cartback/cartback.db                          (absolute path)
//	sqlite://cartback.db                                             (relative to the working directory)
//
// A URL of no accepted form gives an error wrapping ErrBadURL. The SQLite file is created if
// missing, its directory is not; beside it Open keeps <file>-startup.lock, which copies
// starting at once lock in turn. ctx bounds the connection and the migrations, including the
// wait for another copy's migrations.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	loc, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	db, err := openDB(loc)
	if err != nil {
		return nil, err
	}
	if err := startUp(ctx, db, loc); err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db, now: time.Now}, nil
}

// Close closes the database. Calls after Close fail.
func (s *Store) Close() error { return s.db.Close() }

// Ping reports whether the database answers, for readiness checks.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// txAttempts bounds how often inTx runs a transaction that lost a race for a unique key.
const txAttempts = 3

// inTx runs fn in a transaction and commits it. A transaction refused by a unique constraint
// is run again: two PostgreSQL transactions inserting the same key at once both pass their
// checks, and the second fails at the insert; run again, it sees the first's row.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	var err error
	for range txAttempts {
		if err = s.tryTx(ctx, fn); !isUniqueViolation(err) {
			return err
		}
	}
	return err
}

func (s *Store) tryTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, ignoreDone(tx.Rollback()))
	}
	return tx.Commit()
}

// ignoreDone drops the error of a rollback after the transaction already ended (its context
// was cancelled): the error that ended it is the one to report.
func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}
