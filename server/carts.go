package server

import (
	"bytes"
	"context"
	"io"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/cartback/cartback/starter"
	"github.com/cartback/cartback/workflows"
)

// Statuses in the answers of the storefront API.
const (
	statusStarted         = "started"
	statusAlreadyExists   = "already_exists"
	statusPurchaseSent    = "purchase_signalled"
	statusCancelRequested = "cancel_requested"
	statusAlreadyEnded    = "already_ended"
)

// cartAnswer is the answer of the calls that start or change a flow.
type cartAnswer struct {
	starter.Run
	Status  string `json:"status"`
	Changed bool   `json:"changed,omitempty"`
	// Repost says what a changed cart did: updated (the flow goes on with it) or fixed.
	Repost string `json:"repost,omitempty"`
	// Purchase says how the ledger counts a purchase: during, after (won back after the flow,
	// within the attribution window) or not_attributed.
	Purchase string `json:"purchase,omitempty"`
	Message  string `json:"message,omitempty"`
}

// startCart is POST /v1/carts: 202 started, 200 the same cart's flow already exists, 409 the
// customer's flow for another cart runs, 400 not a cart, 422 invalid values, 413 too big.
func (s *Server) startCart(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCartBody))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cart, err := starter.DecodeCart(body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	started, err := s.starter.Start(ctx, cart)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !started.Existing {
		writeJSON(w, http.StatusAccepted, cartAnswer{Run: started.Run, Status: statusStarted})
		return
	}
	a := cartAnswer{Run: started.Run, Status: statusAlreadyExists, Changed: started.Changed, Repost: string(started.Repost),
		Message: "this cart already has a flow; nothing was started"}
	switch {
	case started.Repost == workflows.RepostUpdated:
		a.Message = "this cart already has a flow, still waiting for its first message: it goes on with these changes, and the wait counts again from now"
	case started.Changed:
		a.Message = "this cart already has a flow; it goes on with the cart it has, not with these changes"
	}
	writeJSON(w, http.StatusOK, a)
}

// cartState is GET /v1/carts/{cart_id}: 200 the flow's state (also after it ended), 404.
func (s *Server) cartState(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.callContext(r)
	defer cancel()
	st, err := s.starter.State(ctx, mux.Vars(r)["cart_id"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// purchaseCart is POST /v1/carts/{cart_id}/purchase: 202 the flow ends with "purchased", 200 it had
// already ended (the ledger records the purchase after it), 404, 422 a bad total. The body is
// optional: {"order_id", "at", "total", "currency"}.
func (s *Server) purchaseCart(w http.ResponseWriter, r *http.Request) {
	p, err := decodePurchase(http.MaxBytesReader(w, r.Body, maxCartBody))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	d, err := s.starter.Purchase(ctx, mux.Vars(r)["cart_id"], p)
	s.delivered(w, r, d, err, statusPurchaseSent)
}

// cancelCart is DELETE /v1/carts/{cart_id}: 202 the flow is being cancelled (it ends with
// "cancelled" and reports it), 200 it had already ended, 404.
func (s *Server) cancelCart(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.callContext(r)
	defer cancel()
	d, err := s.starter.Cancel(ctx, mux.Vars(r)["cart_id"])
	s.delivered(w, r, d, err, statusCancelRequested)
}

// delivered answers a purchase or a cancellation.
func (s *Server) delivered(w http.ResponseWriter, r *http.Request, d starter.Delivered, err error, status string) {
	switch {
	case err != nil:
		s.fail(w, r, err)
	case d.Ended && d.Purchase != "":
		writeJSON(w, http.StatusOK, cartAnswer{Run: d.Run, Status: statusAlreadyEnded, Purchase: string(d.Purchase),
			Message: "the flow had already ended; the purchase is recorded on its ledger"})
	case d.Ended:
		writeJSON(w, http.StatusOK, cartAnswer{Run: d.Run, Status: statusAlreadyEnded, Message: "the flow had already ended; nothing changed"})
	default:
		writeJSON(w, http.StatusAccepted, cartAnswer{Run: d.Run, Status: status, Purchase: string(d.Purchase)})
	}
}

// decodePurchase decodes the optional body of a purchase (starter.Order) as strictly, and with the
// same messages, as a cart (starter.DecodeBody), and checks its total; an empty body is no order
// id, no time and no total.
func decodePurchase(r io.Reader) (workflows.Purchase, error) {
	body, err := io.ReadAll(r)
	if err != nil || len(bytes.TrimSpace(body)) == 0 {
		return workflows.Purchase{}, err
	}
	var o starter.Order
	if err := starter.DecodeBody(body, &o); err != nil {
		return workflows.Purchase{}, err
	}
	return starter.NormalizeOrder(o)
}

// callContext bounds the Temporal calls of one request.
func (s *Server) callContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), s.opts.CallTimeout)
}
