// Package server is cartback's HTTP edge: the storefront API that starts and drives cart recovery
// flows, and the WhatsApp webhook that turns Meta's notifications into workflow signals. Handlers
// decode, validate, make one call to the starter and answer; errors become statuses in one place
// (statusOf).
package server

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/sirupsen/logrus"

	"github.com/cartback/cartback/starter"
)

// Defaults.
const (
	// DefaultCallTimeout bounds each request's calls to Temporal, so that Meta and the storefront get
	// an answer (503, retried) rather than a hung connection when Temporal is slow.
	DefaultCallTimeout = 10 * time.Second
	// maxCartBody caps a storefront request: a cart of maxItems lines is a few tens of kilobytes.
	maxCartBody = 1 << 20
	// maxWebhookBody caps a webhook body. Meta batches up to 1000 updates in one call; a few MB
	// holds them, and more is not Meta.
	maxWebhookBody = 3 << 20
)

// Options configure a Server.
type Options struct {
	// APIKey is the storefront's bearer token (CARTBACK_API_KEY); empty refuses every API call.
	APIKey string
	// AppSecrets verify webhook signatures: the current WHATSAPP_APP_SECRET and, during a rotation,
	// WHATSAPP_APP_SECRET_PREVIOUS. Empty ones never pass.
	AppSecrets []string
	// VerifyToken answers Meta's subscription handshake (WHATSAPP_VERIFY_TOKEN).
	VerifyToken string
	// PhoneNumberID is our business number (WHATSAPP_PHONE_NUMBER_ID): webhook changes for any
	// other number (the shop's support line on the same app) are acknowledged and dropped.
	PhoneNumberID string
	// Log receives 5xx errors and webhook events acknowledged without effect. Nil discards.
	Log logrus.FieldLogger
	// CallTimeout bounds the Temporal calls of one request; zero means DefaultCallTimeout.
	CallTimeout time.Duration
	// CouponSecret checks derived coupon codes (CARTBACK_COUPON_SECRET); empty, POST
	// /v1/coupons/check answers 404.
	CouponSecret []byte
}

// Server is the HTTP handler. It owns its router.
type Server struct {
	router  *mux.Router
	starter *starter.Starter
	opts    Options
	log     logrus.FieldLogger
}

// New returns a Server driving flows through st.
func New(st *starter.Starter, opts Options) (*Server, error) {
	if st == nil {
		return nil, errors.New("server: a starter is required")
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = DefaultCallTimeout
	}
	log := opts.Log
	if log == nil {
		discard := logrus.New()
		discard.SetOutput(io.Discard)
		log = discard
	}
	s := &Server{router: mux.NewRouter(), starter: st, opts: opts, log: log}
	s.routes()
	return s, nil
}

// routes is the whole API; openapi.yaml documents exactly these (a test holds them together).
func (s *Server) routes() {
	r := s.router
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, &apiError{status: http.StatusNotFound, Code: "no_route", Message: "no such route"})
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, &apiError{status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "method not allowed"})
	})

	r.HandleFunc("/healthz", s.healthz).Methods(http.MethodGet)
	r.HandleFunc("/readyz", s.readyz).Methods(http.MethodGet)
	r.HandleFunc("/openapi.yaml", s.openAPI).Methods(http.MethodGet)
	r.HandleFunc("/webhooks/whatsapp", s.verifyWebhook).Methods(http.MethodGet)
	r.HandleFunc("/webhooks/whatsapp", s.receiveWebhook).Methods(http.MethodPost)

	api := r.PathPrefix("/v1").Subrouter()
	api.Use(s.authenticate)
	// First: mux v1.8.1 forgets a 405 of an earlier route when a later one shares the /v1 prefix.
	api.HandleFunc("/coupons/check", s.checkCoupon).Methods(http.MethodPost)
	api.HandleFunc("/ledger", s.ledger).Methods(http.MethodGet)
	api.HandleFunc("/carts", s.startCart).Methods(http.MethodPost)
	api.HandleFunc("/carts/{cart_id}", s.cartState).Methods(http.MethodGet)
	api.HandleFunc("/carts/{cart_id}", s.cancelCart).Methods(http.MethodDelete)
	api.HandleFunc("/carts/{cart_id}/purchase", s.purchaseCart).Methods(http.MethodPost)
	api.HandleFunc("/suppressions", s.addSuppression).Methods(http.MethodPost)
	api.HandleFunc("/suppressions", s.listSuppressions).Methods(http.MethodGet)
	api.HandleFunc("/suppressions/{customer_key}", s.removeSuppression).Methods(http.MethodDelete)
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }
