package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RecordTemplateAccepted records that Meta accepted a template for the customer at at, for the
// frequency cap (CARTBACK_FREQUENCY_CAP). The latest time is kept: recording an earlier one (a
// retried activity, statuses out of order) changes nothing.
func (s *Store) RecordTemplateAccepted(ctx context.Context, customerKey string, at time.Time) error {
	if err := checkKey("customer key", customerKey); err != nil {
		return err
	}
	if at.IsZero() {
		return fmt.Errorf("%w: RecordTemplateAccepted needs the time Meta accepted the template", ErrInvalid)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO template_sends (customer_key, last_accepted_us) VALUES ($1, $2)
		ON CONFLICT (customer_key) DO UPDATE SET last_accepted_us = excluded.last_accepted_us
		WHERE excluded.last_accepted_us > template_sends.last_accepted_us`, customerKey, micros(at))
	if err != nil {
		return fmt.Errorf("store: recording a template: %w", err)
	}
	return nil
}

// LastTemplateAccepted is when Meta last accepted a template for the customer (UTC, to the
// microsecond); ok is false if it never did.
func (s *Store) LastTemplateAccepted(ctx context.Context, customerKey string) (at time.Time, ok bool, err error) {
	if err := checkKey("customer key", customerKey); err != nil {
		return time.Time{}, false, err
	}
	var us int64
	err = s.db.QueryRowContext(ctx, `SELECT last_accepted_us FROM template_sends WHERE customer_key = $1`, customerKey).Scan(&us)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return time.Time{}, false, nil
	case err != nil:
		return time.Time{}, false, fmt.Errorf("store: reading the last template: %w", err)
	}
	return fromMicros(us), true, nil
}
