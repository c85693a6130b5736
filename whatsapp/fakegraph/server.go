// Package fakegraph is an in-process fake of the WhatsApp Cloud API's send
// endpoint, POST /{version}/{phone-number-id}/messages. It validates requests
// and answers like Meta does, records accepted sends, and can be scripted to
// fail, so tests (and the local WhatsApp sandbox) can exercise a real client
// over real HTTP.
package fakegraph

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// maxRequestBytes bounds a request body; real sends are a few kilobytes.
const maxRequestBytes = 1 << 20

// Options says what the fake accepts.
type Options struct {
	// PhoneNumberID is the only phone-number-id served; any other in the
	// path is answered 400/100 like an unknown Graph object. Empty accepts
	// any ID.
	PhoneNumberID string
	// Token is the only bearer token accepted; anything else is answered
	// 401/190. Empty accepts any non-empty token.
	Token string
	// OnMessage, if set, is called for every accepted send, after it is
	// recorded and before the answer is written: by the time the sender has
	// its wamid, OnMessage has returned. It runs on the request goroutine,
	// possibly concurrently with itself, so hand slow work off.
	OnMessage func(Message)
	// AnswerDelay holds each accepted send's answer back, after it is recorded:
	// a slow Graph API, whose message is out though the sender has no answer
	// yet (the window in which a sender that dies or gives up sends again).
	// A client that goes away meanwhile gets nothing.
	AnswerDelay time.Duration
}

// Server is the fake Graph API. It is an http.Handler and safe for
// concurrent use; create it with New.
type Server struct {
	opts  Options
	nonce string // keeps wamids unique across Server instances

	mu       sync.Mutex
	requests int
	seq      int
	messages []Message
	scripted []scriptedAnswer
	changed  chan struct{} // closed (and replaced) whenever a send is accepted
}

// scriptedAnswer is one answer queued by FailNext.
type scriptedAnswer struct {
	status int
	body   []byte
}

// New returns a fake serving opts.
func New(opts Options) *Server {
	return &Server{
		opts:    opts,
		nonce:   rand.Text()[:8],
		changed: make(chan struct{}),
	}
}

// NewTestServer starts New(opts) on a local httptest server. The caller
// closes the httptest.Server; its URL is the client's BaseURL.
func NewTestServer(opts Options) (*Server, *httptest.Server) {
	s := New(opts)
	return s, httptest.NewServer(s)
}

// ServeHTTP answers one request. Checks run in Graph's order: method, access
// token, path, then (unless an answer is scripted) the body.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()

	phoneID, pathOK := s.route(r.URL.Path)
	if r.Method != http.MethodPost {
		unsupportedRequest(r.Method, phoneID).write(w)
		return
	}
	if !s.authorized(r.Header.Get("Authorization")) {
		badToken().write(w)
		return
	}
	if !pathOK {
		unsupportedRequest(r.Method, phoneID).write(w)
		return
	}
	if a, ok := s.popScripted(); ok {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body)
		return
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	if err != nil {
		invalidParam("request body could not be read: " + err.Error()).write(w)
		return
	}
	msg, input, gerr := decode(body)
	if gerr != nil {
		gerr.write(w)
		return
	}
	msg = s.record(msg)
	if s.opts.OnMessage != nil {
		s.opts.OnMessage(msg)
	}
	if s.opts.AnswerDelay > 0 {
		select {
		case <-time.After(s.opts.AnswerDelay):
		case <-r.Context().Done():
			return
		}
	}
	writeJSON(w, http.StatusOK, successBody(msg, input))
}

// route splits /{version}/{phone-number-id}/messages. It returns the object
// ID named in the path (for error messages) and whether the fake serves it.
func (s *Server) route(path string) (phoneID string, ok bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) != 3 || parts[2] != "messages" || !validVersion(parts[0]) {
		return strings.Trim(path, "/"), false
	}
	phoneID = parts[1]
	if s.opts.PhoneNumberID != "" && phoneID != s.opts.PhoneNumberID {
		return phoneID, false
	}
	return phoneID, phoneID != ""
}

// validVersion accepts Graph versions like "v23.0".
func validVersion(v string) bool {
	major, minor, ok := strings.Cut(strings.TrimPrefix(v, "v"), ".")
	return ok && strings.HasPrefix(v, "v") && isDigits(major) && isDigits(minor)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// authorized checks the "Bearer <token>" header.
func (s *Server) authorized(header string) bool {
	token, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || token == "" {
		return false
	}
	if s.opts.Token == "" {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(token), []byte(s.opts.Token)) == 1
}

// record assigns the message its wamid and time, stores it and wakes Wait.
func (s *Server) record(m Message) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	m.ID = "wamid." + base64.StdEncoding.EncodeToString(
		fmt.Appendf(nil, "FAKEGRAPH:%s:%s:%d", s.nonce, m.To, s.seq))
	m.At = time.Now()
	s.messages = append(s.messages, m)
	close(s.changed)
	s.changed = make(chan struct{})
	return m
}

// successBody is Meta's answer to an accepted send; input echoes "to" as
// given, wa_id is the normalized number.
func successBody(m Message, input string) map[string]any {
	sent := map[string]any{"id": m.ID}
	if m.Type == "template" {
		// Meta reports pacing status only for template messages.
		sent["message_status"] = "accepted"
	}
	return map[string]any{
		"messaging_product": "whatsapp",
		"contacts":          []map[string]string{{"input": input, "wa_id": m.To}},
		"messages":          []map[string]any{sent},
	}
}

// popScripted takes the next FailNext answer, if any.
func (s *Server) popScripted() (scriptedAnswer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.scripted) == 0 {
		return scriptedAnswer{}, false
	}
	a := s.scripted[0]
	s.scripted = s.scripted[1:]
	return a, true
}

// FailNext queues one scripted answer: the next request that passes the
// token and path checks gets httpStatus and body verbatim (e.g. the 131056
// sample) instead of normal processing, and is not recorded as a message.
// Each call queues one more answer, served in call order.
func (s *Server) FailNext(httpStatus int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripted = append(s.scripted, scriptedAnswer{status: httpStatus, body: append([]byte(nil), body...)})
}

// Messages returns all accepted sends, in acceptance order. The slice is a
// copy; the Template, Text and Raw it points to are shared and read-only.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// MessagesTo returns the accepted sends to one phone, given with or without
// '+', in acceptance order.
func (s *Server) MessagesTo(to string) []Message {
	want, ok := Digits(to)
	if !ok {
		return nil
	}
	var out []Message
	for _, m := range s.Messages() {
		if m.To == want {
			out = append(out, m)
		}
	}
	return out
}

// Wait blocks until at least n sends were accepted and returns them all, or
// returns ctx's error with the sends accepted so far.
func (s *Server) Wait(ctx context.Context, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		if len(s.messages) >= n {
			out := append([]Message(nil), s.messages...)
			s.mu.Unlock()
			return out, nil
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			got := s.Messages()
			return got, fmt.Errorf("fakegraph: waited for %d messages, got %d: %w", n, len(got), ctx.Err())
		}
	}
}

// Requests returns how many requests arrived, accepted or not.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}
