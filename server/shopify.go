package server

import (
	"errors"
	"io"
	"net/http"

	"github.com/sirupsen/logrus"

	"github.com/cartback/cartback/shopify"
	"github.com/cartback/cartback/starter"
	"github.com/cartback/cartback/store"
	"github.com/cartback/cartback/workflows"
)

// shopifyAnswer is the body of every 200 to Shopify: what the delivery did.
type shopifyAnswer struct {
	Status string            `json:"status"` // started, already_exists, purchase_signalled, already_ended, skipped, refused
	CartID string            `json:"cart_id,omitempty"`
	Code   string            `json:"code,omitempty"` // refused: the storefront API's error code
	Reason string            `json:"reason,omitempty"`
	Fields map[string]string `json:"fields,omitempty"`
	// Purchase says how an order counts in the ledger: during, after or not_attributed.
	Purchase store.Attribution `json:"purchase,omitempty"`
}

// receiveShopify handles a Shopify store's webhooks (package shopify): 401 wrongly signed, 413 too
// big, 400 not a checkout or an order, 503 when Temporal or cartback's store is unavailable
// (Shopify retries 8 times over 4 hours); otherwise 200 with what was done. A refusal is a 200
// too: Shopify would redeliver a 4xx to the same refusal and, after 8 failures, drop the
// subscription.
func (s *Server) receiveShopify(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCartBody))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := shopify.VerifySignature(body, r.Header.Get(shopify.SignatureHeader), s.opts.ShopifySecrets...); err != nil {
		s.fail(w, r, err)
		return
	}
	var a shopifyAnswer
	switch topic := r.Header.Get("X-Shopify-Topic"); topic {
	case shopify.TopicCheckoutCreate, shopify.TopicCheckoutUpdate:
		a, err = s.shopifyCheckout(r, body)
	case shopify.TopicOrderCreate:
		a, err = s.shopifyOrder(r, body)
	default:
		a = shopifyAnswer{Status: "skipped", Reason: "cartback does not act on the topic " + topic}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if a.Status == "skipped" || a.Status == "refused" {
		s.log.WithFields(logrus.Fields{"cart_id": a.CartID, "status": a.Status, "code": a.Code, "reason": a.Reason, "fields": a.Fields}).
			Info("shopify: delivery acknowledged without a flow")
	}
	writeJSON(w, http.StatusOK, a)
}

// shopifyCheckout starts (or updates, as a repost) the flow of a checkout; a completed checkout
// is its purchase.
func (s *Server) shopifyCheckout(r *http.Request, body []byte) (shopifyAnswer, error) {
	c, err := shopify.DecodeCheckout(body)
	if err != nil {
		return shopifyAnswer{}, err
	}
	if c.Completed() {
		return s.shopifyPurchase(r, shopify.CartID(c.Token), c.Purchase())
	}
	cart, err := c.Cart(s.opts.ShopifyOptIn)
	var skip *shopify.SkipError
	if errors.As(err, &skip) {
		return shopifyAnswer{Status: "skipped", CartID: shopify.CartID(c.Token), Reason: skip.Reason}, nil
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	started, err := s.starter.Start(ctx, cart)
	if err != nil {
		return refusedOrFailed(cart.CartID, err)
	}
	if started.Existing {
		return shopifyAnswer{Status: statusAlreadyExists, CartID: cart.CartID, Reason: string(started.Repost)}, nil
	}
	return shopifyAnswer{Status: statusStarted, CartID: cart.CartID}, nil
}

// shopifyOrder tells an order's checkout flow of the purchase.
func (s *Server) shopifyOrder(r *http.Request, body []byte) (shopifyAnswer, error) {
	o, err := shopify.DecodeOrder(body)
	if err != nil {
		return shopifyAnswer{}, err
	}
	cartID, order, ok := o.Purchase()
	if !ok {
		return shopifyAnswer{Status: "skipped", Reason: "the order came from no online checkout"}, nil
	}
	p, err := starter.NormalizeOrder(order)
	if err != nil {
		return refusedOrFailed(cartID, err)
	}
	return s.shopifyPurchase(r, cartID, p)
}

// shopifyPurchase signals the purchase to the checkout's flow, if it has one.
func (s *Server) shopifyPurchase(r *http.Request, cartID string, p workflows.Purchase) (shopifyAnswer, error) {
	ctx, cancel := s.callContext(r)
	defer cancel()
	d, err := s.starter.Purchase(ctx, cartID, p)
	switch {
	case errors.Is(err, starter.ErrNotFound):
		return shopifyAnswer{Status: "skipped", CartID: cartID, Reason: "no flow for this checkout"}, nil
	case err != nil:
		return shopifyAnswer{}, err
	case d.Ended:
		return shopifyAnswer{Status: statusAlreadyEnded, CartID: cartID, Purchase: d.Purchase}, nil
	}
	return shopifyAnswer{Status: statusPurchaseSent, CartID: cartID, Purchase: d.Purchase}, nil
}

// refusedOrFailed answers what the storefront API refuses with a 4xx (invalid values, the
// messaging policy, a busy customer) as a 200 "refused" with the same code and fields; outages
// stay errors, for Shopify to retry.
func refusedOrFailed(cartID string, err error) (shopifyAnswer, error) {
	e := statusOf(err)
	if e.status >= 500 || e.status == statusClientClosed {
		return shopifyAnswer{}, err
	}
	return shopifyAnswer{Status: "refused", CartID: cartID, Code: e.Code, Reason: e.Message, Fields: e.Fields}, nil
}
