package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// maxReplyRequest bounds a POST /sandbox/api/reply body: a 4096-character text and a few fields.
const maxReplyRequest = 64 << 10

// conversationsView is the answer of GET /sandbox/api/conversations, and what the page renders.
type conversationsView struct {
	Conversations   []conversationView `json:"conversations"`
	WebhookFailures []WebhookFailure   `json:"webhook_failures"`
}

type conversationView struct {
	Phone   string      `json:"phone"`
	Version int         `json:"version"` // changes whenever the conversation does
	Entries []entryView `json:"entries"`
}

// entryView is an Entry with what the page shows of it spelled out, so that the page's script
// and its server-side rendering draw the same thing.
type entryView struct {
	Entry
	Time        string        `json:"time"`                   // "15:04:05", the sandbox's local time
	StatusLabel string        `json:"status_label,omitempty"` // Status in words: see statusLabel
	Ended       bool          `json:"ended,omitempty"`        // a template whose flow has moved on: its buttons are off
	Template    *templateView `json:"template,omitempty"`
}

type templateView struct {
	Name       string   `json:"name"`
	Language   string   `json:"language"`
	BodyParams []string `json:"body_params"`
	// Known says Text and Footer are the template's registered text; else the page shows its
	// name and parameters.
	Known bool `json:"known"`
}

// view snapshots every conversation.
func (s *Sandbox) view() conversationsView {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := conversationsView{
		Conversations:   make([]conversationView, 0, len(s.order)),
		WebhookFailures: append([]WebhookFailure{}, s.failures...),
	}
	for _, waID := range s.order {
		c := s.convs[waID]
		ended := endedTemplates(c.entries)
		cv := conversationView{Phone: c.phone, Version: c.version, Entries: make([]entryView, len(c.entries))}
		for i, e := range copyEntries(c.entries) {
			ev := entryView{Entry: e, Time: e.At.Local().Format(time.TimeOnly), StatusLabel: statusLabel(e), Ended: ended[i]}
			if t := e.Template; t != nil {
				ev.Template = &templateView{Name: t.Name, Language: t.Language, BodyParams: append([]string{}, t.BodyParams...), Known: e.known}
			}
			cv.Entries[i] = ev
		}
		out.Conversations = append(out.Conversations, cv)
	}
	return out
}

func (s *Sandbox) serveConversations(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.view())
}

// replyRequest is the body of POST /sandbox/api/reply: a text, or a tap when Button is present.
type replyRequest struct {
	Phone     string `json:"phone"`
	Text      string `json:"text,omitempty"`
	MessageID string `json:"message_id,omitempty"`
	Button    *int   `json:"button,omitempty"`
}

// replyAnswer is the body of every answer of POST /sandbox/api/reply.
type replyAnswer struct {
	MessageID     string `json:"message_id,omitempty"`     // the shopper's new message (202, 502)
	Error         string `json:"error,omitempty"`          // why not (400, 502)
	WebhookStatus int    `json:"webhook_status,omitempty"` // our server's answer (502); absent when unreachable
}

// serveReply answers 202 when our webhook accepted the shopper's message, 400 for input that cannot
// be one, 415 for a body that is not JSON, 502 when our webhook refused it or could not be reached.
func (s *Sandbox) serveReply(w http.ResponseWriter, r *http.Request) {
	// Only JSON: a cross-site form cannot send it without a CORS preflight, so another page open
	// in the browser cannot answer for the shopper.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, replyAnswer{Error: "Content-Type must be application/json"})
		return
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxReplyRequest))
	dec.DisallowUnknownFields() // a misspelt "buton" must not turn a tap into an empty text
	var req replyRequest
	if err := dec.Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, replyAnswer{Error: "body is not a reply: " + err.Error()})
		return
	}
	var id string
	var err error
	switch {
	case req.Button != nil && req.Text != "":
		err = fmt.Errorf("%w: give text or button, not both", ErrInvalid)
	case req.Button != nil:
		id, err = s.tap(r.Context(), req.Phone, req.MessageID, *req.Button)
	default:
		id, err = s.reply(r.Context(), req.Phone, req.Text)
	}
	var werr *WebhookError
	switch {
	case err == nil:
		writeJSON(w, http.StatusAccepted, replyAnswer{MessageID: id})
	case errors.Is(err, ErrInvalid):
		writeJSON(w, http.StatusBadRequest, replyAnswer{Error: err.Error()})
	case errors.As(err, &werr):
		writeJSON(w, http.StatusBadGateway, replyAnswer{MessageID: id, Error: err.Error(), WebhookStatus: werr.StatusCode})
	default:
		writeJSON(w, http.StatusInternalServerError, replyAnswer{MessageID: id, Error: err.Error()})
	}
}

// writeJSON writes v; the views hold only plain values, so encoding cannot fail.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// postReplyTimeout bounds PostReply when ctx has no deadline.
const postReplyTimeout = 30 * time.Second

// PostReply sends text as the shopper at phone through the sandbox of a running `cartback dev`
// whose HTTP server is at devBaseURL (e.g. "http://127.0.0.1:8080"): what `cartback reply` does.
// The error carries the sandbox's explanation when it refused the reply (wrapping ErrInvalid) or
// our webhook did.
func PostReply(ctx context.Context, devBaseURL, phone, text string) error {
	body, err := json.Marshal(replyRequest{Phone: phone, Text: text})
	if err != nil {
		return fmt.Errorf("sandbox: encode reply: %w", err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, postReplyTimeout)
		defer cancel()
	}
	url := strings.TrimRight(devBaseURL, "/") + "/sandbox/api/reply"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox: is `cartback dev` running? %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxReplyRequest))
	if resp.StatusCode == http.StatusAccepted {
		return nil
	}
	var ans replyAnswer
	if json.Unmarshal(raw, &ans) != nil || ans.Error == "" {
		// Not the sandbox's answer: e.g. a dev process talking to real WhatsApp has no sandbox.
		return fmt.Errorf("sandbox: %s answered %d (is the sandbox on? it is off when WhatsApp credentials are set)", url, resp.StatusCode)
	}
	if resp.StatusCode == http.StatusBadRequest {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.TrimPrefix(ans.Error, ErrInvalid.Error()+": "))
	}
	return fmt.Errorf("sandbox: reply not accepted (%d): %s", resp.StatusCode, ans.Error)
}
