package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/cartback/cartback/money"
	"github.com/cartback/cartback/store"
)

// defaultLedgerPeriod is what GET /v1/ledger sums up without a from: the last 30 days.
const defaultLedgerPeriod = 30 * 24 * time.Hour

// ledgerAnswer is GET /v1/ledger's answer: the totals of the flows started in [from, to).
type ledgerAnswer struct {
	From              time.Time        `json:"from"`
	To                time.Time        `json:"to"`
	AttributionWindow string           `json:"attribution_window"`
	Currencies        []currencyTotals `json:"currencies"`
}

// currencyTotals are the ledger's totals of one currency.
type currencyTotals struct {
	Currency      string `json:"currency"`
	FlowsStarted  int64  `json:"flows_started"`
	TemplatesSent int64  `json:"templates_sent"`
	Replies       struct {
		ReminderSent int64 `json:"reminder_sent"`
		CouponSent   int64 `json:"coupon_sent"`
	} `json:"replies"`
	NoReply   int64 `json:"no_reply"`
	OptedOut  int64 `json:"opted_out"`
	Purchases struct {
		DuringFlow    int64 `json:"during_flow"`
		AfterFlow     int64 `json:"after_flow"`
		NotAttributed int64 `json:"not_attributed"`
	} `json:"purchases"`
	CouponPurchases int64  `json:"coupon_purchases"`
	RevenueWonBack  string `json:"revenue_won_back"` // a decimal amount of currency, as carts are posted
}

func toCurrencyTotals(t store.LedgerTotal) currencyTotals {
	c := currencyTotals{Currency: t.Currency, FlowsStarted: t.FlowsStarted, TemplatesSent: t.TemplatesSent,
		NoReply: t.NoReply, OptedOut: t.OptedOut, CouponPurchases: t.CouponPurchases,
		RevenueWonBack: strings.TrimSuffix(money.Format(t.RevenueMinor, t.Currency), " "+t.Currency)}
	c.Replies.ReminderSent, c.Replies.CouponSent = t.ReminderSent, t.CouponSent
	c.Purchases.DuringFlow, c.Purchases.AfterFlow, c.Purchases.NotAttributed = t.PurchasedDuring, t.PurchasedAfter, t.NotAttributed
	return c
}

// ledger is GET /v1/ledger?from=&to=: what the flows started from from to to (RFC 3339; by
// default the 30 days to now) sent, how they ended and what they won back, by currency.
func (s *Server) ledger(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	to, err := queryTime(q.Get("to"), "to", time.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	from, err := queryTime(q.Get("from"), "from", to.Add(-defaultLedgerPeriod))
	if err == nil && !from.Before(to) {
		err = badQuery("from", "must be before to")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	totals, err := s.starter.LedgerTotals(ctx, from, to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := ledgerAnswer{From: from.UTC(), To: to.UTC(), AttributionWindow: s.starter.AttributionWindow().String(),
		Currencies: []currencyTotals{}}
	for _, t := range totals {
		out.Currencies = append(out.Currencies, toCurrencyTotals(t))
	}
	writeJSON(w, http.StatusOK, out)
}

// queryTime reads the RFC 3339 time of a query parameter; "" is def.
func queryTime(v, name string, def time.Time) (time.Time, error) {
	if v == "" {
		return def, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, badQuery(name, `must be a time in RFC 3339 format such as "2026-11-01T00:00:00Z"`)
	}
	return t, nil
}

func badQuery(name, why string) *apiError {
	return &apiError{status: http.StatusBadRequest, Code: "invalid_query", Message: name + ": " + why, Fields: map[string]string{name: why}}
}
