package shopify

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/cartback/cartback/money"
	"github.com/cartback/cartback/starter"
)

// ErrMalformed: the body is not a Shopify checkout or order.
var ErrMalformed = errors.New("not a Shopify webhook body")

// Order is the part of an orders/create body that cartback reads.
type Order struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"` // "#1001", as the shop shows it
	CheckoutToken string `json:"checkout_token"`
	CreatedAt     string `json:"created_at"`
	TotalPrice    amount `json:"total_price"` // in Currency, the shop's
	Currency      string `json:"currency"`
}

// DecodeOrder decodes an order webhook's body.
func DecodeOrder(body []byte) (Order, error) {
	var o Order
	if err := json.Unmarshal(body, &o); err != nil {
		return Order{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if o.ID == 0 {
		return Order{}, fmt.Errorf("%w: no order id", ErrMalformed)
	}
	return o, nil
}

// Purchase is what the order tells its checkout's flow and the ledger, for the starter to check
// as it checks a storefront's. An order from no online checkout (a draft order, the point of
// sale) has no checkout token: ok is false.
func (o Order) Purchase() (cartID string, p starter.Order, ok bool) {
	if o.CheckoutToken == "" {
		return "", starter.Order{}, false
	}
	p.OrderID = o.Name
	if p.OrderID == "" {
		p.OrderID = strconv.FormatInt(o.ID, 10)
	}
	if at, err := time.Parse(time.RFC3339, o.CreatedAt); err == nil {
		p.At = at.UTC()
	}
	if o.TotalPrice != "" {
		total := money.Decimal(o.TotalPrice)
		p.Total, p.Currency = &total, o.Currency
	}
	return CartID(o.CheckoutToken), p, true
}
