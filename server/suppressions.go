package server

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/cartback/cartback/starter"
	"github.com/cartback/cartback/store"
)

// suppression is one suppression as the API shows it: never the number in clear.
type suppression struct {
	CustomerKey string    `json:"customer_key"`
	MaskedPhone string    `json:"masked_phone,omitempty"`
	Reason      string    `json:"reason"`
	Source      string    `json:"source"`
	At          time.Time `json:"at"`
}

func toSuppression(s store.Suppression) suppression {
	return suppression{CustomerKey: s.CustomerKey, MaskedPhone: s.MaskedPhone, Reason: string(s.Reason), Source: s.Source, At: s.At}
}

// suppressionRequest is the body of POST /v1/suppressions.
type suppressionRequest struct {
	Phone  string `json:"phone"`
	Source string `json:"source"`
}

// addSuppression is POST /v1/suppressions: 201 suppressed now, 200 already suppressed by the
// storefront; the customer's open flow ends opted_out either way.
func (s *Server) addSuppression(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCartBody))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req suppressionRequest
	if err := starter.DecodeBody(body, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	sup, created, err := s.starter.Suppress(ctx, req.Phone, req.Source)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, toSuppression(sup))
}

// removeSuppression is DELETE /v1/suppressions/{customer_key}: 200 with how many suppressions were
// lifted (the shopper's stop and the storefront's; Meta's stay until Meta reports a resume).
func (s *Server) removeSuppression(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.callContext(r)
	defer cancel()
	n, err := s.starter.Unsuppress(ctx, mux.Vars(r)["customer_key"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Lifted int `json:"lifted"`
	}{n})
}

// listSuppressions is GET /v1/suppressions?cursor=&limit=: one page, oldest first, with the cursor
// of the next page ("" on the last).
func (s *Server) listSuppressions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := store.DefaultPageSize
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxPageSize {
			s.fail(w, r, &apiError{status: http.StatusBadRequest, Code: "invalid_query",
				Message: "limit must be a whole number from 1 to " + strconv.Itoa(store.MaxPageSize)})
			return
		}
		limit = n
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	page, next, err := s.starter.Suppressions(ctx, q.Get("cursor"), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := struct {
		Suppressions []suppression `json:"suppressions"`
		NextCursor   string        `json:"next_cursor,omitempty"`
	}{Suppressions: []suppression{}, NextCursor: next}
	for _, sup := range page {
		out.Suppressions = append(out.Suppressions, toSuppression(sup))
	}
	writeJSON(w, http.StatusOK, out)
}
