package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The ledger says what each flow run sent, how it ended and what was bought: one row per run,
// written in parts by whoever knows each (RecordFlowStart, RecordTemplateSent, RecordFlowEnd,
// RecordPurchase), in any order, each call idempotent. LedgerTotals sums it up.

// DefaultAttributionWindow is how long after a flow's last message a purchase still counts as
// won back by it (CARTBACK_ATTRIBUTION_WINDOW).
const DefaultAttributionWindow = 7 * 24 * time.Hour

// Attribution is how a purchase relates to its flow.
type Attribution string

// The attributions.
const (
	// PurchaseDuring: the purchase came while the flow was open (it ended the flow "purchased").
	PurchaseDuring Attribution = "during"
	// PurchaseAfter: it came after the flow ended, within the attribution window of the flow's
	// last message: won back after the flow.
	PurchaseAfter Attribution = "after"
	// PurchaseNotAttributed: it came later than that, or the flow never sent a message.
	PurchaseNotAttributed Attribution = "not_attributed"
)

// FlowStart is what the starter knows of a flow it starts, or of a repost that replaced its cart.
type FlowStart struct {
	RunID       string
	WorkflowID  string
	CartID      string
	CustomerKey string // workflows.CustomerKey
	TotalMinor  int64  // the cart's total, in minor units of Currency
	Currency    string // ISO 4217
	At          time.Time
}

// FlowEnd is the outcome report of a flow.
type FlowEnd struct {
	RunID      string
	CartID     string
	Outcome    string // workflows.Outcome
	Reason     string // for "purchased", the order id
	CouponCode string
	At         time.Time
}

// Order is a purchase as the storefront reported it. TotalMinor is nil when it gave no total:
// the cart's total stands for it.
type Order struct {
	ID         string
	At         time.Time
	TotalMinor *int64
	Currency   string // of TotalMinor
}

// FlowRun is one row of the ledger. Times are zero where not (yet) known.
type FlowRun struct {
	RunID, WorkflowID, CartID, CustomerKey string
	CartTotalMinor                         int64
	CartCurrency                           string
	StartedAt, TemplateAt, EndedAt         time.Time
	Outcome, Reason, CouponCode            string
	PurchasedAt                            time.Time
	OrderID                                string
	OrderTotalMinor                        *int64
	OrderCurrency                          string
	Purchase                               Attribution // "" while nothing was bought
}

// outcomePurchased is workflows.OutcomePurchased: the report of a flow a purchase ended.
const outcomePurchased = "purchased"

// RecordFlowStart records the start of a flow run: its workflow, cart, customer and cart total.
// Recording it again (a retried start, a repost whose cart the flow took) replaces the cart's
// total and keeps the first start time.
func (s *Store) RecordFlowStart(ctx context.Context, f FlowStart) error {
	if err := errors.Join(checkRunID(f.RunID), checkKey("customer key", f.CustomerKey), checkCurrency(f.Currency),
		checkTime("RecordFlowStart", f.At)); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO ledger
		(run_id, workflow_id, cart_id, customer_key, cart_total_minor, cart_currency, started_at_us)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (run_id) DO UPDATE SET workflow_id = excluded.workflow_id, cart_id = excluded.cart_id,
			customer_key = excluded.customer_key, cart_total_minor = excluded.cart_total_minor,
			cart_currency = excluded.cart_currency, started_at_us = COALESCE(ledger.started_at_us, excluded.started_at_us)`,
		f.RunID, f.WorkflowID, f.CartID, f.CustomerKey, f.TotalMinor, f.Currency, micros(f.At))
	if err != nil {
		return fmt.Errorf("store: recording a flow's start: %w", err)
	}
	return nil
}

// RecordTemplateSent records when Meta accepted the run's template. The first time recorded stays.
func (s *Store) RecordTemplateSent(ctx context.Context, runID, workflowID, customerKey string, at time.Time) error {
	if err := errors.Join(checkRunID(runID), checkKey("customer key", customerKey), checkTime("RecordTemplateSent", at)); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO ledger (run_id, workflow_id, customer_key, template_at_us) VALUES ($1, $2, $3, $4)
		ON CONFLICT (run_id) DO UPDATE SET template_at_us = COALESCE(ledger.template_at_us, excluded.template_at_us)`,
		runID, workflowID, customerKey, micros(at))
	if err != nil {
		return fmt.Errorf("store: recording a flow's template: %w", err)
	}
	return nil
}

// RecordFlowEnd records how the run ended. A "purchased" end is also the run's purchase, during
// the flow, with the reason as its order id where none was recorded.
func (s *Store) RecordFlowEnd(ctx context.Context, e FlowEnd) error {
	if err := errors.Join(checkRunID(e.RunID), checkTime("RecordFlowEnd", e.At)); err != nil {
		return err
	}
	if e.Outcome == "" {
		return fmt.Errorf("%w: RecordFlowEnd needs the outcome", ErrInvalid)
	}
	var purchase Attribution
	var purchasedAt *int64
	var orderID string
	if e.Outcome == outcomePurchased {
		us := micros(e.At)
		purchase, purchasedAt, orderID = PurchaseDuring, &us, e.Reason
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO ledger
		(run_id, cart_id, outcome, reason, coupon_code, ended_at_us, purchase, purchased_at_us, order_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (run_id) DO UPDATE SET outcome = excluded.outcome, reason = excluded.reason,
			coupon_code = excluded.coupon_code, ended_at_us = excluded.ended_at_us,
			purchase = CASE WHEN ledger.purchase = '' THEN excluded.purchase ELSE ledger.purchase END,
			purchased_at_us = COALESCE(ledger.purchased_at_us, excluded.purchased_at_us),
			order_id = CASE WHEN ledger.order_id = '' THEN excluded.order_id ELSE ledger.order_id END`,
		e.RunID, e.CartID, e.Outcome, e.Reason, e.CouponCode, micros(e.At), string(purchase), purchasedAt, orderID)
	if err != nil {
		return fmt.Errorf("store: recording a flow's end: %w", err)
	}
	return nil
}

// RecordPurchase records the storefront's purchase of the run's cart, and returns how it was
// attributed; ok is false when the ledger has no row for the run (a flow started before it).
// ended says the flow had ended when the purchase came (the caller found it closed).
//
// The first purchase recorded decides the attribution: during the flow while it is open; after
// it when it came no earlier than the template and no later than window after the flow's last
// message (the follow-up for a flow that ended reminder_sent or coupon_sent, whose end is that
// send; the template otherwise), or, for a flow that ended but whose end is not recorded yet
// (its report is on its way), within window of the template; else not attributed. A second
// record of the same purchase only fills what the first left empty (an order id, a total).
func (s *Store) RecordPurchase(ctx context.Context, runID string, o Order, ended bool, window time.Duration) (a Attribution, ok bool, err error) {
	if err := errors.Join(checkRunID(runID), checkTime("RecordPurchase", o.At)); err != nil {
		return "", false, err
	}
	if o.TotalMinor != nil {
		if err := checkCurrency(o.Currency); err != nil {
			return "", false, err
		}
	}
	at := micros(o.At)
	err = s.db.QueryRowContext(ctx, `UPDATE ledger SET
			purchase = CASE
				WHEN purchase <> '' THEN purchase
				WHEN ended_at_us IS NULL AND NOT $7 THEN 'during'
				WHEN ended_at_us IS NULL AND template_at_us IS NOT NULL AND $2 >= template_at_us
					AND $2 <= $3 + template_at_us THEN 'after'
				WHEN ended_at_us IS NULL THEN 'not_attributed'
				WHEN template_at_us IS NOT NULL AND $2 >= template_at_us AND $2 <= $3 +
					CASE WHEN outcome IN ('reminder_sent', 'coupon_sent') THEN ended_at_us ELSE template_at_us END
					THEN 'after'
				ELSE 'not_attributed' END,
			purchased_at_us = COALESCE(purchased_at_us, $2),
			order_id = CASE WHEN order_id = '' THEN $4 ELSE order_id END,
			order_currency = CASE WHEN order_total_minor IS NULL THEN $6 ELSE order_currency END,
			order_total_minor = COALESCE(order_total_minor, $5)
		WHERE run_id = $1 RETURNING purchase`,
		runID, at, window.Microseconds(), o.ID, o.TotalMinor, o.Currency, ended).Scan(&a)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("store: recording a purchase: %w", err)
	}
	return a, true, nil
}

// ledgerColumns are selected in scanFlowRun's order.
const ledgerColumns = `run_id, workflow_id, cart_id, customer_key, cart_total_minor, cart_currency, started_at_us,
	template_at_us, outcome, reason, coupon_code, ended_at_us, purchased_at_us, order_id, order_total_minor,
	order_currency, purchase`

// FlowRun is the ledger's row of a run; ok is false when it has none.
func (s *Store) FlowRun(ctx context.Context, runID string) (r FlowRun, ok bool, err error) {
	if err := checkRunID(runID); err != nil {
		return FlowRun{}, false, err
	}
	var started, template, ended, purchased sql.NullInt64
	var orderTotal sql.NullInt64
	err = s.db.QueryRowContext(ctx, `SELECT `+ledgerColumns+` FROM ledger WHERE run_id = $1`, runID).Scan(
		&r.RunID, &r.WorkflowID, &r.CartID, &r.CustomerKey, &r.CartTotalMinor, &r.CartCurrency, &started,
		&template, &r.Outcome, &r.Reason, &r.CouponCode, &ended, &purchased, &r.OrderID, &orderTotal,
		&r.OrderCurrency, &r.Purchase)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return FlowRun{}, false, nil
	case err != nil:
		return FlowRun{}, false, fmt.Errorf("store: reading the ledger: %w", err)
	}
	r.StartedAt, r.TemplateAt, r.EndedAt, r.PurchasedAt = optionalTime(started), optionalTime(template), optionalTime(ended), optionalTime(purchased)
	if orderTotal.Valid {
		r.OrderTotalMinor = &orderTotal.Int64
	}
	return r, true, nil
}

func optionalTime(us sql.NullInt64) time.Time {
	if !us.Valid {
		return time.Time{}
	}
	return fromMicros(us.Int64)
}

// LedgerTotal is what the flows started in a period did, for one currency.
type LedgerTotal struct {
	Currency string
	// Of the flows whose cart is in Currency:
	FlowsStarted  int64
	TemplatesSent int64
	ReminderSent  int64 // positive replies answered with the reminder
	CouponSent    int64 // negative replies answered with the coupon
	NoReply       int64
	OptedOut      int64
	// PurchasedDuring and PurchasedAfter are the purchases won back (PurchaseDuring, PurchaseAfter);
	// NotAttributed the later ones. CouponPurchases are those won back after a coupon.
	PurchasedDuring, PurchasedAfter, NotAttributed, CouponPurchases int64
	// RevenueMinor is what the purchases won back brought, in minor units of Currency: each one's
	// order total where the storefront gave one (in its order's currency), else its cart's.
	RevenueMinor int64
}

// LedgerTotals sums up the ledger's flows started from from (inclusive) to to (exclusive), by
// currency, in the order of the currency codes. A currency appears when a flow's cart or a
// purchase won back is in it.
func (s *Store) LedgerTotals(ctx context.Context, from, to time.Time) ([]LedgerTotal, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT cart_currency,
			CAST(COUNT(*) AS BIGINT),
			CAST(COUNT(template_at_us) AS BIGINT),
			CAST(SUM(CASE WHEN outcome = 'reminder_sent' THEN 1 ELSE 0 END) AS BIGINT),
			CAST(SUM(CASE WHEN outcome = 'coupon_sent' THEN 1 ELSE 0 END) AS BIGINT),
			CAST(SUM(CASE WHEN outcome = 'no_reply' THEN 1 ELSE 0 END) AS BIGINT),
			CAST(SUM(CASE WHEN outcome = 'opted_out' THEN 1 ELSE 0 END) AS BIGINT),
			CAST(SUM(CASE WHEN purchase = 'during' THEN 1 ELSE 0 END) AS BIGINT),
			CAST(SUM(CASE WHEN purchase = 'after' THEN 1 ELSE 0 END) AS BIGINT),
			CAST(SUM(CASE WHEN purchase = 'not_attributed' THEN 1 ELSE 0 END) AS BIGINT),
			CAST(SUM(CASE WHEN purchase IN ('during', 'after') AND outcome = 'coupon_sent' THEN 1 ELSE 0 END) AS BIGINT)
		FROM ledger WHERE started_at_us >= $1 AND started_at_us < $2
		GROUP BY cart_currency`, micros(from), micros(to))
	if err != nil {
		return nil, fmt.Errorf("store: summing the ledger: %w", err)
	}
	byCurrency := map[string]*LedgerTotal{}
	var out []*LedgerTotal
	total := func(currency string) *LedgerTotal {
		if t := byCurrency[currency]; t != nil {
			return t
		}
		t := &LedgerTotal{Currency: currency}
		byCurrency[currency] = t
		out = append(out, t)
		return t
	}
	err = scanAll(rows, func() error {
		var t LedgerTotal
		if err := rows.Scan(&t.Currency, &t.FlowsStarted, &t.TemplatesSent, &t.ReminderSent, &t.CouponSent, &t.NoReply,
			&t.OptedOut, &t.PurchasedDuring, &t.PurchasedAfter, &t.NotAttributed, &t.CouponPurchases); err != nil {
			return err
		}
		*total(t.Currency) = t
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: summing the ledger: %w", err)
	}
	rows, err = s.db.QueryContext(ctx, `SELECT
			CASE WHEN order_total_minor IS NULL THEN cart_currency ELSE order_currency END,
			CAST(SUM(COALESCE(order_total_minor, cart_total_minor)) AS BIGINT)
		FROM ledger WHERE started_at_us >= $1 AND started_at_us < $2 AND purchase IN ('during', 'after')
		GROUP BY CASE WHEN order_total_minor IS NULL THEN cart_currency ELSE order_currency END`, micros(from), micros(to))
	if err != nil {
		return nil, fmt.Errorf("store: summing the ledger's revenue: %w", err)
	}
	err = scanAll(rows, func() error {
		var currency string
		var revenue int64
		if err := rows.Scan(&currency, &revenue); err != nil {
			return err
		}
		total(currency).RevenueMinor = revenue
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: summing the ledger's revenue: %w", err)
	}
	totals := make([]LedgerTotal, len(out))
	for i, t := range out {
		totals[i] = *t
	}
	slices.SortFunc(totals, func(a, b LedgerTotal) int { return strings.Compare(a.Currency, b.Currency) })
	return totals, nil
}

// scanAll calls scan for each of rows, and closes them.
func scanAll(rows *sql.Rows, scan func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := scan(); err != nil {
			return err
		}
	}
	return rows.Err()
}

// maxRunIDLen bounds a run id: Temporal's are UUIDs.
const maxRunIDLen = 64

// currencyCode is the form of an ISO 4217 code.
var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

func checkRunID(runID string) error {
	if runID == "" || len(runID) > maxRunIDLen {
		return fmt.Errorf("%w: a run id must be 1 to %d characters", ErrInvalid, maxRunIDLen)
	}
	return nil
}

func checkCurrency(code string) error {
	if !currencyCode.MatchString(code) {
		return fmt.Errorf("%w: a currency must be an ISO 4217 code such as USD, not %q", ErrInvalid, code)
	}
	return nil
}

func checkTime(call string, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("%w: %s needs the time", ErrInvalid, call)
	}
	return nil
}
