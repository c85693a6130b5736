// Package whatsapp is a small client for the WhatsApp Cloud API (Meta's
// Graph API): it sends template and text messages and classifies failures
// so that callers (Temporal activities) know whether to retry.
package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds a whole request when Config.HTTPClient is nil. It
// sits just under the send activities' 30 s StartToCloseTimeout: Meta has no
// idempotency key, so a slow answer given up on is a message sent again (a
// 15 s timeout sent one template three times to a Graph API answering in 20 s),
// while a stuck connection still ends before the activity's own timeout.
const DefaultTimeout = 25 * time.Second

// maxResponseBytes caps how much of an answer is read; Graph API answers to
// a send are a few hundred bytes, anything larger is not worth buffering.
const maxResponseBytes = 1 << 20

// Config is the Graph API connection.
type Config struct {
	BaseURL       string       // e.g. "https://graph.facebook.com"; a trailing slash is tolerated
	Version       string       // Graph API version, e.g. "v23.0"
	PhoneNumberID string       // the business phone number's ID (not the number itself)
	Token         string       // system-user access token, sent as a bearer token
	HTTPClient    *http.Client // nil means a client with DefaultTimeout
}

// Client sends messages from one business phone number. It is safe for
// concurrent use.
type Client struct {
	endpoint string // {base}/{version}/{phone-number-id}/messages
	token    string
	http     *http.Client
}

// NewClient validates cfg and returns a Client. The error names the first
// missing or malformed field.
func NewClient(cfg Config) (*Client, error) {
	base := strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	version := strings.Trim(strings.TrimSpace(cfg.Version), "/")
	phoneID := strings.TrimSpace(cfg.PhoneNumberID)
	token := strings.TrimSpace(cfg.Token)
	switch {
	case base == "":
		return nil, errors.New("whatsapp: Config.BaseURL is required")
	case version == "":
		return nil, errors.New("whatsapp: Config.Version is required")
	case phoneID == "":
		return nil, errors.New("whatsapp: Config.PhoneNumberID is required")
	case token == "":
		return nil, errors.New("whatsapp: Config.Token is required")
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("whatsapp: Config.BaseURL %q is not an http(s) URL", cfg.BaseURL)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	return &Client{
		endpoint: base + "/" + url.PathEscape(version) + "/" + url.PathEscape(phoneID) + "/messages",
		token:    token,
		http:     hc,
	}, nil
}

// sendResponse is the part of Meta's success answer we use.
type sendResponse struct {
	Messages []struct {
		ID string `json:"id"`
	} `json:"messages"`
}

// errorEnvelope is Meta's error answer, {"error":{...}}.
type errorEnvelope struct {
	Error *struct {
		Message   string `json:"message"`
		Type      string `json:"type"`
		Code      int    `json:"code"`
		Subcode   int    `json:"error_subcode"`
		FBTraceID string `json:"fbtrace_id"`
		ErrorData struct {
			Details string `json:"details"`
		} `json:"error_data"`
	} `json:"error"`
}

// send POSTs payload to the messages endpoint and returns messages[0].id.
func (c *Client) send(ctx context.Context, payload any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Keep '&', '<', '>' literal: message bodies carry URLs with query strings.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(payload); err != nil {
		return "", fmt.Errorf("whatsapp: encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, &buf)
	if err != nil {
		return "", fmt.Errorf("whatsapp: build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")

	resp, err := c.http.Do(req)
	if err != nil {
		// *url.Error already names method and URL; the token is in a header,
		// so it cannot leak through this message.
		return "", fmt.Errorf("whatsapp: send: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return "", fmt.Errorf("whatsapp: read response (http %d): %w", resp.StatusCode, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", decodeAPIError(resp.StatusCode, body)
	}
	var out sendResponse
	if err := json.Unmarshal(body, &out); err != nil {
		return "", fmt.Errorf("%w: http %d: %v", ErrNoMessageID, resp.StatusCode, err)
	}
	if len(out.Messages) == 0 || out.Messages[0].ID == "" {
		return "", fmt.Errorf("%w: http %d: %s", ErrNoMessageID, resp.StatusCode, excerpt(body))
	}
	return out.Messages[0].ID, nil
}

// decodeAPIError builds the *APIError for a non-2xx answer. It never fails:
// a body that is not Meta's envelope still yields an error classified by
// HTTP status.
func decodeAPIError(status int, body []byte) *APIError {
	apiErr := &APIError{HTTPStatus: status}
	var env errorEnvelope
	if json.Unmarshal(body, &env) == nil && env.Error != nil {
		e := env.Error
		apiErr.Code = e.Code
		apiErr.Subcode = e.Subcode
		apiErr.Type = e.Type
		apiErr.Message = e.Message
		apiErr.Details = e.ErrorData.Details
		apiErr.FBTraceID = e.FBTraceID
		return apiErr
	}
	apiErr.Message = excerpt(body)
	return apiErr
}

// excerpt shortens a raw body for an error message.
func excerpt(body []byte) string {
	const max = 200
	s := strings.TrimSpace(string(body))
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "..."
	}
	return s
}
