package starter

import (
	"context"
	"time"

	"github.com/cartback/cartback/money"
	"github.com/cartback/cartback/store"
	"github.com/cartback/cartback/workflows"
)

// Ledger is what the starter reads and writes of cartback's ledger (store's "what was won
// back"): a *store.Store.
type Ledger interface {
	RecordFlowStart(ctx context.Context, f store.FlowStart) error
	RecordPurchase(ctx context.Context, runID string, o store.Order, ended bool, window time.Duration) (store.Attribution, bool, error)
	LedgerTotals(ctx context.Context, from, to time.Time) ([]store.LedgerTotal, error)
}

// recordStart writes the ledger's row of run r with the cart the flow goes on with.
func (s *Starter) recordStart(ctx context.Context, r Run, in workflows.Input) error {
	err := s.consent.RecordFlowStart(ctx, store.FlowStart{RunID: r.RunID, WorkflowID: r.WorkflowID, CartID: in.Cart.ID,
		CustomerKey: s.CustomerKey(in.Customer.Phone), TotalMinor: in.Cart.TotalMinor, Currency: in.Cart.Currency, At: s.now()})
	if err != nil {
		return storeError(err)
	}
	return nil
}

// recordPurchase writes the purchase p on the ledger's row of d's run, and says how it was
// attributed ("" for a flow the ledger does not know: one started before it).
func (s *Starter) recordPurchase(ctx context.Context, d Delivered, p workflows.Purchase) (store.Attribution, error) {
	o := store.Order{ID: p.OrderID, At: p.At, Currency: p.Currency}
	if o.At.IsZero() {
		o.At = s.now()
	}
	if p.Currency != "" {
		o.TotalMinor = &p.TotalMinor
	}
	a, _, err := s.consent.RecordPurchase(ctx, d.RunID, o, d.Ended, s.window)
	if err != nil {
		return "", storeError(err)
	}
	return a, nil
}

// Order is the optional body of a purchase (POST /v1/carts/{cart_id}/purchase): the order that
// bought the cart. Total, in Currency, is what it brought; without it the cart's total counts.
type Order struct {
	OrderID  string         `json:"order_id"`
	At       time.Time      `json:"at"`
	Total    *money.Decimal `json:"total"`
	Currency string         `json:"currency"`
}

// NormalizeOrder checks the order's amount and returns the flow's purchase. A total needs its
// currency and the currency its total (money.Decimal has no sign). Errors: *ValidationError.
func NormalizeOrder(o Order) (workflows.Purchase, error) {
	v := &ValidationError{Of: "purchase"}
	p := workflows.Purchase{OrderID: o.OrderID, At: o.At}
	switch {
	case o.Total == nil && o.Currency != "":
		v.add("total", "is required with currency")
	case o.Total != nil:
		p.Currency = v.currency(o.Currency)
		p.TotalMinor = v.amount("total", *o.Total, p.Currency)
	}
	if len(v.Fields) > 0 {
		return workflows.Purchase{}, v
	}
	return p, nil
}

// LedgerTotals are the ledger's totals of the flows started from from (inclusive) to to
// (exclusive), by currency. Errors: ErrUnavailable.
func (s *Starter) LedgerTotals(ctx context.Context, from, to time.Time) ([]store.LedgerTotal, error) {
	totals, err := s.consent.LedgerTotals(ctx, from, to)
	if err != nil {
		return nil, storeError(err)
	}
	return totals, nil
}

// AttributionWindow is how long after a flow's last message a purchase counts as won back.
func (s *Starter) AttributionWindow() time.Duration { return s.window }
