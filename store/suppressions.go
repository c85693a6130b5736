package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Reason is why a customer is suppressed. A customer holds one suppression per reason, since
// each reason is lifted by its own rule (LiftOnResume, LiftOnStart, LiftOnStorefrontDelete).
type Reason string

// The reasons.
const (
	// ReasonKeyword: the shopper sent a stop keyword (workflows.IsStopKeyword).
	ReasonKeyword Reason = "keyword"
	// ReasonButton: the shopper tapped a "Stop promotions" button.
	ReasonButton Reason = "button"
	// ReasonUserPreferences: the shopper turned marketing messages off in WhatsApp (Meta's
	// user_preferences webhook, "stop").
	ReasonUserPreferences Reason = "user_preferences"
	// ReasonMeta131050: Meta refused a template with error 131050 (the user stopped marketing
	// messages from the business).
	ReasonMeta131050 Reason = "meta_131050"
	// ReasonStorefront: the storefront suppressed the customer (POST /v1/suppressions).
	ReasonStorefront Reason = "storefront"
)

// Which suppressions each way of lifting lifts, for Lift. A suppression Meta reported is Meta's
// to lift; one the shopper asked for, theirs (or the storefront's, on their behalf).
var (
	// LiftOnResume is what Meta's user_preferences "resume" lifts: what Meta reported.
	LiftOnResume = []Reason{ReasonUserPreferences, ReasonMeta131050}
	// LiftOnStart is what the shopper's START (workflows.IsStartKeyword) lifts: their own stop.
	LiftOnStart = []Reason{ReasonKeyword, ReasonButton}
	// LiftOnStorefrontDelete is what DELETE /v1/suppressions/{customer_key} lifts: the shopper's
	// stop and the storefront's own. What Meta reported stays until Meta reports a resume: a
	// template sent meanwhile would only be refused with 131050 again.
	LiftOnStorefrontDelete = []Reason{ReasonKeyword, ReasonButton, ReasonStorefront}
)

var reasons = map[Reason]bool{
	ReasonKeyword: true, ReasonButton: true, ReasonUserPreferences: true, ReasonMeta131050: true, ReasonStorefront: true,
}

// Valid reports whether r is one of the reasons above.
func (r Reason) Valid() bool { return reasons[r] }

func checkReason(r Reason) error {
	if !r.Valid() {
		return fmt.Errorf("%w: unknown suppression reason %q", ErrInvalid, r)
	}
	return nil
}

// Suppression is one reason a customer must get no template.
type Suppression struct {
	CustomerKey string // workflows.CustomerKey
	MaskedPhone string // phone.Mask's form, for an operator; empty where unknown (a BSUID-only sender)
	Reason      Reason
	Source      string    // where it came from, for the record: "webhook", "storefront: crm"...; short, no phone numbers
	At          time.Time // when it began, UTC to the microsecond
}

// suppressionColumns are selected in scanSuppression's order.
const suppressionColumns = "customer_key, reason, masked_phone, source, suppressed_at_us"

func scanSuppression(row interface{ Scan(...any) error }) (Suppression, error) {
	var s Suppression
	var at int64
	err := row.Scan(&s.CustomerKey, &s.Reason, &s.MaskedPhone, &s.Source, &at)
	s.At = fromMicros(at)
	return s, err
}

// suppressAttempts bounds Suppress's retries when a lift removes the row between its two statements.
const suppressAttempts = 3

// Suppress records that the customer is suppressed for s.Reason, and returns the suppression as
// stored, and whether it is new. It is idempotent: a customer already suppressed for the reason
// keeps the first suppression's time and source (and gains the masked phone if it had none).
// A zero At means now.
func (s *Store) Suppress(ctx context.Context, sup Suppression) (stored Suppression, created bool, err error) {
	if err := errors.Join(checkKey("customer key", sup.CustomerKey), checkReason(sup.Reason),
		checkMaskedPhone(sup.MaskedPhone), checkSource(sup.Source)); err != nil {
		return Suppression{}, false, err
	}
	if sup.At.IsZero() {
		sup.At = s.now()
	}
	sup.At = fromMicros(micros(sup.At))
	for range suppressAttempts {
		res, err := s.db.ExecContext(ctx, `INSERT INTO suppressions (`+suppressionColumns+`)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (customer_key, reason) DO NOTHING`,
			sup.CustomerKey, sup.Reason, sup.MaskedPhone, sup.Source, micros(sup.At))
		if err != nil {
			return Suppression{}, false, fmt.Errorf("store: suppressing: %w", err)
		}
		switch n, err := res.RowsAffected(); {
		case err != nil:
			return Suppression{}, false, err
		case n == 1:
			return sup, true, nil
		}
		stored, err := scanSuppression(s.db.QueryRowContext(ctx, `UPDATE suppressions
			SET masked_phone = CASE WHEN masked_phone = '' THEN $3 ELSE masked_phone END
			WHERE customer_key = $1 AND reason = $2 RETURNING `+suppressionColumns,
			sup.CustomerKey, sup.Reason, sup.MaskedPhone))
		if !errors.Is(err, sql.ErrNoRows) { // else lifted since the insert: insert again
			return stored, false, err
		}
	}
	return Suppression{}, false, fmt.Errorf("store: suppressing: lifted %d times while being suppressed", suppressAttempts)
}

// Lift lifts the customer's suppressions for the reasons given (LiftOnResume, LiftOnStart,
// LiftOnStorefrontDelete), and returns how many it lifted: 0 when none was held. At least one
// reason is needed (LiftAll lifts every one).
func (s *Store) Lift(ctx context.Context, customerKey string, reasons ...Reason) (lifted int, err error) {
	if len(reasons) == 0 {
		return 0, fmt.Errorf("%w: Lift needs the reasons to lift (LiftAll lifts every one)", ErrInvalid)
	}
	errs := []error{checkKey("customer key", customerKey)}
	args := []any{customerKey}
	marks := make([]string, len(reasons))
	for i, r := range reasons {
		errs = append(errs, checkReason(r))
		args = append(args, r)
		marks[i] = "$" + strconv.Itoa(i+2)
	}
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	return s.deleteSuppressions(ctx,
		`DELETE FROM suppressions WHERE customer_key = $1 AND reason IN (`+strings.Join(marks, ", ")+`)`, args...)
}

// LiftAll lifts every suppression of the customer, and returns how many it lifted.
func (s *Store) LiftAll(ctx context.Context, customerKey string) (lifted int, err error) {
	if err := checkKey("customer key", customerKey); err != nil {
		return 0, err
	}
	return s.deleteSuppressions(ctx, `DELETE FROM suppressions WHERE customer_key = $1`, customerKey)
}

func (s *Store) deleteSuppressions(ctx context.Context, query string, args ...any) (int, error) {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("store: lifting: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// Suppressed reports whether the customer is suppressed, for any reason, and if so the
// earliest suppression held (by time, then reason).
func (s *Store) Suppressed(ctx context.Context, customerKey string) (Suppression, bool, error) {
	if err := checkKey("customer key", customerKey); err != nil {
		return Suppression{}, false, err
	}
	sup, err := scanSuppression(s.db.QueryRowContext(ctx, `SELECT `+suppressionColumns+` FROM suppressions
		WHERE customer_key = $1 ORDER BY suppressed_at_us, reason LIMIT 1`, customerKey))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Suppression{}, false, nil
	case err != nil:
		return Suppression{}, false, fmt.Errorf("store: reading suppressions: %w", err)
	}
	return sup, true, nil
}
