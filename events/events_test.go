package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

var testSecret = []byte("whsec_test")

// received is one request as the storefront saw it.
type received struct {
	header http.Header
	body   []byte
	method string
}

// storefront is an httptest server that records requests and answers with
// the next status in statuses (the last one repeats).
type storefront struct {
	*httptest.Server
	mu       sync.Mutex
	reqs     []received
	statuses []int
	reply    string
}

func newStorefront(t *testing.T, reply string, statuses ...int) *storefront {
	t.Helper()
	s := &storefront{statuses: statuses, reply: reply}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, received{header: r.Header.Clone(), body: body, method: r.Method})
		status := s.statuses[min(len(s.reqs), len(s.statuses))-1]
		s.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, s.reply)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *storefront) requests() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.reqs...)
}

func fixedNow() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

func testEvent() Event {
	return Event{
		EventID: "evt_123",
		CartID:  "cart_42",
		Outcome: "recovered",
		Reason:  "customer paid",
		At:      time.Date(2026, 3, 1, 11, 59, 30, 0, time.FixedZone("BRT", -3*3600)),
	}
}

func TestReportDeliversSignedJSON(t *testing.T) {
	sf := newStorefront(t, "ok", http.StatusOK)
	r := &Reporter{URL: sf.URL, Secret: testSecret, Now: fixedNow}
	ev := testEvent()
	if err := r.Report(context.Background(), ev); err != nil {
		t.Fatalf("Report: %v", err)
	}
	reqs := sf.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	got := reqs[0]
	if got.method != http.MethodPost {
		t.Errorf("method = %s", got.method)
	}
	if ct := got.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if ua := got.header.Get("User-Agent"); ua != "cartback" {
		t.Errorf("User-Agent = %q", ua)
	}

	// The body is exactly the event's JSON, with field names from the tags
	// and `at` in RFC 3339.
	var fields map[string]string
	if err := json.Unmarshal(got.body, &fields); err != nil {
		t.Fatalf("body %s: %v", got.body, err)
	}
	want := map[string]string{
		"event_id": "evt_123", "cart_id": "cart_42", "outcome": "recovered",
		"reason": "customer paid", "at": "2026-03-01T11:59:30-03:00",
	}
	for k, v := range want {
		if fields[k] != v {
			t.Errorf("body[%q] = %q, want %q", k, fields[k], v)
		}
	}
	if len(fields) != len(want) {
		t.Errorf("body has fields %v, want exactly %v", fields, want)
	}
	at, err := time.Parse(time.RFC3339, fields["at"])
	if err != nil || !at.Equal(ev.At) {
		t.Errorf("at = %q (%v), want %v", fields["at"], err, ev.At)
	}

	// The signature verifies against the raw body and the timestamp is Now.
	sig := got.header.Get(SignatureHeader)
	if !strings.HasPrefix(sig, "t=1772366400,v1=") {
		t.Errorf("signature %q: timestamp is not Now", sig)
	}
	if err := Verify(testSecret, sig, got.body, fixedNow().Add(time.Minute), 5*time.Minute); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := Verify([]byte("other secret"), sig, got.body, fixedNow(), 5*time.Minute); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Verify with another secret: %v, want ErrBadSignature", err)
	}
	tampered := bytes.Replace(got.body, []byte("recovered"), []byte("abandoned"), 1)
	if err := Verify(testSecret, sig, tampered, fixedNow(), 5*time.Minute); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Verify tampered body: %v, want ErrBadSignature", err)
	}
}

func TestReportOmitsEmptyReason(t *testing.T) {
	sf := newStorefront(t, "", http.StatusNoContent)
	r := &Reporter{URL: sf.URL, Secret: testSecret, Now: fixedNow}
	ev := testEvent()
	ev.Reason = ""
	if err := r.Report(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if body := string(sf.requests()[0].body); strings.Contains(body, "reason") {
		t.Errorf("body %s has a reason", body)
	}
}

// TestReportRetryAfter503 is the caller's retry loop in miniature: the 503
// is a plain error, the retry with the same event succeeds, and both
// attempts carry the same event ID and body so the storefront can dedupe.
func TestReportRetryAfter503(t *testing.T) {
	sf := newStorefront(t, "try later", http.StatusServiceUnavailable, http.StatusOK)
	r := &Reporter{URL: sf.URL, Secret: testSecret, Now: fixedNow}
	ev := testEvent()

	err := r.Report(context.Background(), ev)
	if err == nil {
		t.Fatal("503: want an error")
	}
	if IsPermanent(err) {
		t.Fatalf("503 must not be permanent: %v", err)
	}
	if !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "try later") {
		t.Errorf("error %q lacks status or body", err)
	}
	if err := r.Report(context.Background(), ev); err != nil {
		t.Fatalf("retry: %v", err)
	}
	reqs := sf.requests()
	if len(reqs) != 2 || !bytes.Equal(reqs[0].body, reqs[1].body) {
		t.Fatalf("retry body differs or wrong count: %d requests", len(reqs))
	}
}

func TestReportStatusClassification(t *testing.T) {
	tests := []struct {
		status    int
		permanent bool
	}{
		{http.StatusBadRequest, true},
		{http.StatusUnauthorized, true},
		{http.StatusNotFound, true},
		{http.StatusUnprocessableEntity, true},
		{http.StatusFound, true}, // redirects are not followed
		{http.StatusRequestTimeout, false},
		{http.StatusTooManyRequests, false},
		{http.StatusInternalServerError, false},
		{http.StatusBadGateway, false},
	}
	for _, tt := range tests {
		sf := newStorefront(t, "nope", tt.status)
		r := &Reporter{URL: sf.URL, Secret: testSecret}
		err := r.Report(context.Background(), testEvent())
		if err == nil {
			t.Errorf("%d: want an error", tt.status)
			continue
		}
		if IsPermanent(err) != tt.permanent {
			t.Errorf("%d: IsPermanent = %v, want %v (%v)", tt.status, IsPermanent(err), tt.permanent, err)
		}
		if n := len(sf.requests()); n != 1 {
			t.Errorf("%d: %d requests, want 1", tt.status, n)
		}
	}
}

func TestReportErrorBodyIsBounded(t *testing.T) {
	sf := newStorefront(t, "bad\nfield: cart_id\x00"+strings.Repeat("x", 10000), http.StatusBadRequest)
	r := &Reporter{URL: sf.URL, Secret: testSecret}
	err := r.Report(context.Background(), testEvent())
	if !IsPermanent(err) {
		t.Fatalf("want permanent, got %v", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "400") || !strings.Contains(msg, "bad field: cart_id") {
		t.Errorf("message %q lacks status or sanitised snippet", msg)
	}
	if len(msg) > 400 {
		t.Errorf("message is %d bytes, want bounded", len(msg))
	}
	wrapped := errors.Join(errors.New("activity failed"), err)
	if !IsPermanent(wrapped) {
		t.Error("IsPermanent must see through wrapping")
	}
}

func TestReportTimeoutIsNotPermanent(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release) // runs before srv.Close, unblocking the handler

	r := &Reporter{URL: srv.URL, Secret: testSecret, HTTPClient: &http.Client{Timeout: 50 * time.Millisecond}}
	err := r.Report(context.Background(), testEvent())
	if err == nil {
		t.Fatal("want a timeout error")
	}
	if IsPermanent(err) {
		t.Fatalf("timeout must not be permanent: %v", err)
	}
}

func TestReportContextCancelIsNotPermanent(t *testing.T) {
	sf := newStorefront(t, "", http.StatusOK)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := (&Reporter{URL: sf.URL, Secret: testSecret}).Report(ctx, testEvent())
	if !errors.Is(err, context.Canceled) || IsPermanent(err) {
		t.Fatalf("err = %v, want retryable context.Canceled", err)
	}
}

func TestReportConnectionRefusedIsNotPermanent(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	err := (&Reporter{URL: url, Secret: testSecret}).Report(context.Background(), testEvent())
	if err == nil || IsPermanent(err) {
		t.Fatalf("err = %v, want retryable transport error", err)
	}
}

func TestReportRefusesMissingConfig(t *testing.T) {
	sf := newStorefront(t, "", http.StatusOK)
	if err := (&Reporter{URL: sf.URL}).Report(context.Background(), testEvent()); !errors.Is(err, ErrEmptySecret) {
		t.Errorf("empty secret: %v", err)
	}
	if err := (&Reporter{URL: sf.URL, Secret: []byte{}}).Report(context.Background(), testEvent()); !errors.Is(err, ErrEmptySecret) {
		t.Errorf("zero-length secret: %v", err)
	}
	if err := (&Reporter{Secret: testSecret}).Report(context.Background(), testEvent()); !errors.Is(err, ErrNoURL) {
		t.Errorf("empty URL: %v", err)
	}
	if n := len(sf.requests()); n != 0 {
		t.Errorf("%d requests sent with bad config", n)
	}
}

func TestReportDoesNotModifyCallerClient(t *testing.T) {
	sf := newStorefront(t, "", http.StatusOK)
	c := &http.Client{Timeout: time.Second}
	if err := (&Reporter{URL: sf.URL, Secret: testSecret, HTTPClient: c}).Report(context.Background(), testEvent()); err != nil {
		t.Fatal(err)
	}
	if c.CheckRedirect != nil {
		t.Error("Report changed the caller's http.Client")
	}
}

func TestSignKnownAnswer(t *testing.T) {
	got := Sign([]byte("secret"), time.Unix(1700000000, 0), []byte(`{"a":1}`))
	// Computed independently:
	// printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
	const want = "t=1700000000,v1=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
	if got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1700000000, 0)
	body := []byte(`{"event_id":"evt_1"}`)
	good := Sign(testSecret, now, body)
	goodV1 := strings.TrimPrefix(good, "t=1700000000,")
	otherV1 := strings.TrimPrefix(Sign([]byte("old secret"), now, body), "t=1700000000,")
	const tol = 5 * time.Minute

	tests := []struct {
		name   string
		secret []byte
		header string
		now    time.Time
		want   error
	}{
		{"valid", testSecret, good, now, nil},
		{"valid with spaces", testSecret, " t=1700000000 , " + goodV1 + " ", now, nil},
		{"missing header", testSecret, "", now, ErrMissingSignature},
		{"blank header", testSecret, "   ", now, ErrMissingSignature},
		{"no t", testSecret, goodV1, now, ErrMalformedSignature},
		{"two t", testSecret, "t=1700000000,t=1700000000," + goodV1, now, ErrMalformedSignature},
		{"non-numeric t", testSecret, "t=abc," + goodV1, now, ErrMalformedSignature},
		{"negative t", testSecret, "t=-1," + goodV1, now, ErrMalformedSignature},
		{"huge t", testSecret, "t=99999999999999999999," + goodV1, now, ErrMalformedSignature},
		{"no v1", testSecret, "t=1700000000", now, ErrMissingSignature},
		{"only unknown scheme", testSecret, "t=1700000000,v0=abcd", now, ErrMissingSignature},
		{"bad hex", testSecret, "t=1700000000,v1=zz" + strings.Repeat("0", 62), now, ErrMalformedSignature},
		{"short v1", testSecret, "t=1700000000,v1=abcd", now, ErrMalformedSignature},
		{"part without =", testSecret, good + ",junk", now, ErrMalformedSignature},
		{"wrong secret", []byte("another"), good, now, ErrBadSignature},
		{"timestamp swapped", testSecret, "t=1700000001," + goodV1, now, ErrBadSignature},
		{"old timestamp", testSecret, good, now.Add(tol + time.Second), ErrTimestampOutOfTolerance},
		{"future timestamp", testSecret, good, now.Add(-tol - time.Second), ErrTimestampOutOfTolerance},
		{"edge of tolerance", testSecret, good, now.Add(tol), nil},
		{"multiple v1, second matches", testSecret, "t=1700000000," + otherV1 + "," + goodV1, now, nil},
		{"multiple v1, first matches", testSecret, "t=1700000000," + goodV1 + "," + otherV1, now, nil},
		{"multiple v1, none match", []byte("third"), "t=1700000000," + otherV1 + "," + goodV1, now, ErrBadSignature},
		{"unknown scheme ignored", testSecret, "t=1700000000,v0=xyz," + goodV1, now, nil},
		{"empty secret", nil, good, now, ErrEmptySecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.header, body, tt.now, tol)
			if tt.want == nil && err != nil {
				t.Fatalf("Verify = %v, want nil", err)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestEmptySecretNeverVerifies: even a header genuinely produced with an
// empty key (which anyone can compute) is refused.
func TestEmptySecretNeverVerifies(t *testing.T) {
	now := time.Unix(1700000000, 0)
	body := []byte("{}")
	for _, secret := range [][]byte{nil, {}} {
		h := Sign(secret, now, body)
		if err := Verify(secret, h, body, now, time.Minute); !errors.Is(err, ErrEmptySecret) {
			t.Errorf("Verify(empty secret) = %v, want ErrEmptySecret", err)
		}
	}
}
