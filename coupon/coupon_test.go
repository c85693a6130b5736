package coupon

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/cartback/cartback/events"
)

var secret = []byte("coupon test secret, 32 bytes....")

// TestDerivedCodesAreStableAndDistinct: one cart, one code, every time; a thousand carts, a
// thousand codes, of the form people type.
func TestDerivedCodesAreStableAndDistinct(t *testing.T) {
	form := regexp.MustCompile(`^SAVE-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`)
	seen := map[string]string{}
	for i := range 1000 {
		cart := "c_" + string(rune('a'+i%26)) + time.Duration(i).String()
		code := Derive(secret, cart)
		if !form.MatchString(code) || Derive(secret, cart) != code {
			t.Fatalf("Derive(%s) = %q, then %q", cart, code, Derive(secret, cart))
		}
		if other, dup := seen[code]; dup {
			t.Fatalf("%s and %s both get %s", cart, other, code)
		}
		seen[code] = cart
	}
	if Derive([]byte("another secret"), "c_8f3a") == Derive(secret, "c_8f3a") {
		t.Error("two secrets derive the same code")
	}
}

func TestCheck(t *testing.T) {
	code := Derive(secret, "c_8f3a")
	for _, typed := range []string{code, " " + code + " ", "save" + code[4:], code[:4] + code[5:9] + code[10:]} {
		if !Check(secret, "c_8f3a", typed) {
			t.Errorf("Check(%q) refused %s's code", typed, code)
		}
	}
	for _, other := range []string{Derive(secret, "c_8f3b"), "SAVE-0000-0000", "", code[:len(code)-1]} {
		if Check(secret, "c_8f3a", other) {
			t.Errorf("Check(%q) took another code for %s", other, code)
		}
	}
	if Check([]byte("another secret"), "c_8f3a", code) {
		t.Error("another secret checks the code")
	}
}

// TestFetchSignsAndReads: the POST is signed as the outcome events are; the answer's code is
// taken, and each kind of failure is told apart.
func TestFetchSignsAndReads(t *testing.T) {
	answer, status := `{"code": "WB-8842"}`, http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := events.Verify(secret, r.Header.Get(events.SignatureHeader), body, time.Now(), time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var req Request
		if err := json.Unmarshal(body, &req); err != nil || req.CartID != "c_8f3a" || req.EventID != "run-1" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	defer srv.Close()
	f := &Fetcher{URL: srv.URL, Secret: secret}
	req := Request{CartID: "c_8f3a", EventID: "run-1"}
	if code, err := f.Fetch(context.Background(), req); err != nil || code != "WB-8842" {
		t.Fatalf("Fetch = %q, %v", code, err)
	}
	for _, tc := range []struct {
		answer  string
		status  int
		refused bool
	}{
		{`{"code": "X"}`, http.StatusServiceUnavailable, false},
		{`{"code": "X"}`, http.StatusTooManyRequests, false},
		{`{"code": "X"}`, http.StatusNotFound, true},
		{`{"code": ""}`, http.StatusOK, true},
		{`not json`, http.StatusOK, true},
		{`{"code": "a\nb"}`, http.StatusOK, true},
	} {
		answer, status = tc.answer, tc.status
		_, err := f.Fetch(context.Background(), req)
		if err == nil || errors.Is(err, ErrRefused) != tc.refused {
			t.Errorf("%d %s: %v, refused %v", tc.status, tc.answer, err, tc.refused)
		}
	}
	if _, err := (&Fetcher{URL: srv.URL, Secret: []byte("wrong")}).Fetch(context.Background(), req); !errors.Is(err, ErrRefused) {
		t.Errorf("a wrong signature: %v, want the storefront's 401 as a refusal", err)
	}
}
