// Package server is cartback's HTTP edge: the storefront API that starts and drives cart recovery
// flows, and the WhatsApp webhook that turns Meta's notifications into workflow signals. Handlers
// decode, validate, make one call to the starter and answer; errors become statuses in one place
// (statusOf).
package server

import (
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/sirupsen/logrus"

	"github.com/cartback/cartback/shopify"
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
	// ShopifySecrets verify a Shopify store's webhooks: the app's client secret
	// (CARTBACK_SHOPIFY_SECRET) and, during a rotation, the previous one. None: every Shopify
	// delivery is refused 401.
	ShopifySecrets []string
	// ShopifyOptIn is which of a checkout's consents counts as the WhatsApp opt-in.
	ShopifyOptIn shopify.OptIn
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

	handle(r, "/healthz", byMethod{http.MethodGet: s.healthz})
	handle(r, "/readyz", byMethod{http.MethodGet: s.readyz})
	handle(r, "/openapi.yaml", byMethod{http.MethodGet: s.openAPI})
	handle(r, "/webhooks/whatsapp", byMethod{http.MethodGet: s.verifyWebhook, http.MethodPost: s.receiveWebhook})
	handle(r, "/webhooks/shopify", byMethod{http.MethodPost: s.receiveShopify})

	api := r.PathPrefix("/v1").Subrouter()
	api.Use(s.authenticate)
	handle(api, "/coupons/check", byMethod{http.MethodPost: s.checkCoupon})
	handle(api, "/ledger", byMethod{http.MethodGet: s.ledger})
	handle(api, "/carts", byMethod{http.MethodPost: s.startCart})
	handle(api, "/carts/{cart_id}", byMethod{http.MethodGet: s.cartState, http.MethodDelete: s.cancelCart})
	handle(api, "/carts/{cart_id}/purchase", byMethod{http.MethodPost: s.purchaseCart})
	handle(api, "/suppressions", byMethod{http.MethodPost: s.addSuppression, http.MethodGet: s.listSuppressions})
	handle(api, "/suppressions/{customer_key}", byMethod{http.MethodDelete: s.removeSuppression})
}

// byMethod is one path's handlers by HTTP method.
type byMethod map[string]http.HandlerFunc

// handle routes path's methods, then the path alone to answer any other method 405 with Allow:
// mux v1.8.1 forgets a route's 405 when a later route shares its prefix, and answers 404.
func handle(r *mux.Router, path string, handlers byMethod) {
	allowed := slices.Sorted(maps.Keys(handlers))
	for _, m := range allowed {
		r.HandleFunc(path, handlers[m]).Methods(m)
	}
	allow := strings.Join(allowed, ", ")
	r.HandleFunc(path, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, &apiError{status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "method not allowed; allowed: " + allow})
	})
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }
