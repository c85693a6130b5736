// Package events reports the outcome of each cart recovery flow to the
// storefront as a signed JSON POST (a webhook), and provides Verify for the
// receiving side.
package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"
)

// Event is what the storefront receives. EventID is stable across retries of
// the same report, so the storefront can drop duplicates by it.
type Event struct {
	EventID string    `json:"event_id"`
	CartID  string    `json:"cart_id"`
	Outcome string    `json:"outcome"`
	Reason  string    `json:"reason,omitempty"`
	At      time.Time `json:"at"`
	// CouponCode is the code a coupon_sent flow sent the shopper, for the storefront to honour.
	CouponCode string `json:"coupon_code,omitempty"`
}

// Reporter POSTs events to one storefront endpoint. The zero values of
// HTTPClient and Now are usable; URL and Secret are required.
type Reporter struct {
	URL        string
	Secret     []byte
	HTTPClient *http.Client     // nil => a client with a 10s timeout
	Now        func() time.Time // nil => time.Now; the signature's timestamp
}

// ErrNoURL is returned by Report when Reporter.URL is empty.
var ErrNoURL = errors.New("events: no storefront URL configured")

// defaultTimeout bounds a report when no HTTPClient is given: http.Client's
// own default is no timeout at all, which would pin a worker slot on a
// storefront that accepts the connection and never answers.
const defaultTimeout = 10 * time.Second

// snippetLimit bounds how much of an error response body is kept in the
// error, which ends up in logs and workflow history.
const snippetLimit = 256

// drainLimit is how much of a response body is read and discarded so the
// connection can be reused; a larger body is cheaper to abandon.
const drainLimit = 64 << 10

// Report POSTs e as JSON with Content-Type application/json, User-Agent
// "cartback" and SignatureHeader (timestamped with Now) to r.URL.
//
// A 2xx response means delivered. A 5xx, 408 or 429 response, a transport
// error or a timeout yields an ordinary error: the caller should retry with
// the same Event (same EventID). Any other status (other 4xx, and 3xx, which
// is not followed because a redirected POST may become a GET and drop the
// body) yields an error for which IsPermanent is true, carrying the status
// and a bounded snippet of the body.
//
// An empty URL or Secret is reported before anything is sent. Those errors
// are deliberately not permanent: they are deployment mistakes, and retrying
// after the configuration is fixed delivers the report instead of losing it.
func (r *Reporter) Report(ctx context.Context, e Event) error {
	if r.URL == "" {
		return ErrNoURL
	}
	if len(r.Secret) == 0 {
		return fmt.Errorf("events: cannot report: %w", ErrEmptySecret)
	}
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("events: encode event %s: %w", e.EventID, err)
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("events: build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "cartback")
	req.Header.Set(SignatureHeader, Sign(r.Secret, now(), body))

	resp, err := r.client().Do(req)
	if err != nil {
		return fmt.Errorf("events: report %s: %w", e.EventID, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
		return nil
	}
	snippet := readSnippet(resp.Body)
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	return &statusError{
		eventID:   e.EventID,
		status:    resp.StatusCode,
		snippet:   snippet,
		permanent: permanentStatus(resp.StatusCode),
	}
}

// client returns the HTTP client to use, never following redirects: the
// storefront URL is configuration, and a redirect is a mistake in it.
// The caller's client is copied, not modified.
func (r *Reporter) client() *http.Client {
	c := http.Client{Timeout: defaultTimeout}
	if r.HTTPClient != nil {
		c = *r.HTTPClient
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}
	return &c
}

// permanentStatus reports whether retrying a response with this status
// cannot succeed. 408 and 429 are the 4xx statuses that explicitly invite a
// retry; everything from 500 up may be transient.
func permanentStatus(code int) bool {
	switch {
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests:
		return false
	case code >= 300 && code <= 499:
		return true
	}
	return false
}

// readSnippet reads at most snippetLimit bytes of body and makes them safe
// to print on one log line.
func readSnippet(body io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(body, snippetLimit))
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// statusError is a non-2xx answer from the storefront.
type statusError struct {
	eventID   string
	status    int
	snippet   string
	permanent bool
}

// Error includes the status and the start of the body, which is usually
// where a storefront says what it disliked.
func (e *statusError) Error() string {
	kind := "retryable"
	if e.permanent {
		kind = "permanent"
	}
	msg := fmt.Sprintf("events: report %s: storefront answered %d %s (%s)", e.eventID, e.status, http.StatusText(e.status), kind)
	if e.snippet != "" {
		msg += ": " + e.snippet
	}
	return msg
}

// IsPermanent reports whether err (or any error it wraps) is a storefront
// answer that retrying the same report cannot change, such as 400 or 401;
// callers should stop retrying and surface it. Transport errors, timeouts,
// 5xx, 408 and 429 are not permanent.
func IsPermanent(err error) bool {
	var se *statusError
	return errors.As(err, &se) && se.permanent
}
