package store

import (
	"context"
	"database/sql"
	"time"
)

// What only the tests reach.

// AppliedVersions lists goose's version rows, one per applied migration, in the order applied.
func AppliedVersions(ctx context.Context, s *Store) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT version_id FROM `+versionTable+` ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var versions []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		versions = append(versions, v)
	}
	return versions, rows.Err()
}

// InsertSuppressions writes many suppressions in one transaction, faster than Suppress one by one.
func InsertSuppressions(ctx context.Context, s *Store, sups []Suppression) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, sup := range sups {
			if _, err := tx.ExecContext(ctx, `INSERT INTO suppressions (`+suppressionColumns+`) VALUES ($1, $2, $3, $4, $5)`,
				sup.CustomerKey, sup.Reason, sup.MaskedPhone, sup.Source, micros(sup.At)); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetClock replaces what the store takes as now.
func SetClock(s *Store, now func() time.Time) { s.now = now }

// MigrateDownTo undoes the migrations after version, as goose's down would.
func MigrateDownTo(ctx context.Context, url string, version int64) error {
	loc, err := parseURL(url)
	if err != nil {
		return err
	}
	db, err := openDB(loc)
	if err != nil {
		return err
	}
	defer db.Close()
	provider, err := newProvider(db, loc)
	if err != nil {
		return err
	}
	_, err = provider.DownTo(ctx, version)
	return err
}
