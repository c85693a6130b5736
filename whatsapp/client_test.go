package whatsapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cartback/cartback/whatsapp"
	"github.com/cartback/cartback/whatsapp/fakegraph"
)

// samplesDir holds Meta's sample payloads, copied byte for byte from Meta's documented shapes.
const samplesDir = "testdata"

const (
	testPhoneID = "106540352242922" // the phone-number-id used in the samples
	testToken   = "test-token"
	testVersion = "v23.0"
)

// readSample returns a sample file's raw bytes.
func readSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir, name))
	if err != nil {
		t.Fatalf("read sample: %v", err)
	}
	return b
}

// sampleBody decodes a request sample without its "_"-prefixed annotation
// keys (_http, _headers, _note), which are not part of Meta's body.
func sampleBody(t *testing.T, name string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readSample(t, name), &m); err != nil {
		t.Fatalf("decode sample %s: %v", name, err)
	}
	for k := range m {
		if strings.HasPrefix(k, "_") {
			delete(m, k)
		}
	}
	return m
}

// sampleTemplate is the TemplateMessage that must produce send_template_request.json.
func sampleTemplate() whatsapp.TemplateMessage {
	return whatsapp.TemplateMessage{
		To:           "+16505551234",
		Name:         "abandoned_cart_check_in",
		Language:     "en_US",
		BodyParams:   []string{"Sheena", "Blue Trail Running Shoes"},
		QuickReplies: []string{"cart:c_8f3a:yes", "cart:c_8f3a:no"},
		CallbackData: "wf=abandoned-cart/c_8f3a;step=ask",
	}
}

func newClient(t *testing.T, baseURL string, mod func(*whatsapp.Config)) *whatsapp.Client {
	t.Helper()
	cfg := whatsapp.Config{BaseURL: baseURL, Version: testVersion, PhoneNumberID: testPhoneID, Token: testToken}
	if mod != nil {
		mod(&cfg)
	}
	c, err := whatsapp.NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// fake starts a fakegraph server and a client pointed at it.
func fake(t *testing.T) (*fakegraph.Server, *whatsapp.Client) {
	t.Helper()
	fg, ts := fakegraph.NewTestServer(fakegraph.Options{PhoneNumberID: testPhoneID, Token: testToken})
	t.Cleanup(ts.Close)
	// A trailing slash must be tolerated.
	return fg, newClient(t, ts.URL+"/", nil)
}

// captured is one request seen by a recording handler.
type captured struct {
	method, path, auth, contentType string
	body                            map[string]any
}

// recorder answers every request with the success sample and hands the
// request over on a channel, for byte-level comparisons.
func recorder(t *testing.T) (*httptest.Server, <-chan captured) {
	t.Helper()
	success := readSample(t, "send_success_response.json")
	ch := make(chan captured, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("request body is not JSON: %v: %s", err, raw)
		}
		ch <- captured{r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), body}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(success)
	}))
	t.Cleanup(ts.Close)
	return ts, ch
}

func TestSendTemplateRequestMatchesSample(t *testing.T) {
	ts, reqs := recorder(t)
	c := newClient(t, ts.URL, nil)

	id, err := c.SendTemplate(context.Background(), sampleTemplate())
	if err != nil {
		t.Fatalf("SendTemplate: %v", err)
	}
	if want := "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA"; id != want {
		t.Errorf("wamid = %q, want %q", id, want)
	}
	got := <-reqs
	if got.method != http.MethodPost || got.path != "/v23.0/106540352242922/messages" {
		t.Errorf("request line = %s %s, want POST /v23.0/106540352242922/messages", got.method, got.path)
	}
	if got.auth != "Bearer "+testToken {
		t.Errorf("Authorization = %q", got.auth)
	}
	if got.contentType != "application/json" {
		t.Errorf("Content-Type = %q", got.contentType)
	}
	if want := sampleBody(t, "send_template_request.json"); !reflect.DeepEqual(got.body, want) {
		t.Errorf("template body differs from sample\n got: %s\nwant: %s", mustJSON(got.body), mustJSON(want))
	}
}

func TestSendTextRequestMatchesSample(t *testing.T) {
	ts, reqs := recorder(t)
	c := newClient(t, ts.URL, nil)
	want := sampleBody(t, "send_text_request.json")
	text := want["text"].(map[string]any)

	_, err := c.SendText(context.Background(), whatsapp.TextMessage{
		To:         "+16505551234",
		Body:       text["body"].(string),
		PreviewURL: true,
	})
	if err != nil {
		t.Fatalf("SendText: %v", err)
	}
	got := <-reqs
	if got.path != "/v23.0/106540352242922/messages" || got.auth != "Bearer "+testToken {
		t.Errorf("path/auth = %q / %q", got.path, got.auth)
	}
	// Also proves biz_opaque_callback_data is omitted when empty: the sample has none.
	if !reflect.DeepEqual(got.body, want) {
		t.Errorf("text body differs from sample\n got: %s\nwant: %s", mustJSON(got.body), mustJSON(want))
	}
}

func TestSendTextCarriesCallbackData(t *testing.T) {
	ts, reqs := recorder(t)
	c := newClient(t, ts.URL, nil)
	if _, err := c.SendText(context.Background(), whatsapp.TextMessage{To: "16505551234", Body: "hi", CallbackData: "wf=x"}); err != nil {
		t.Fatalf("SendText: %v", err)
	}
	got := <-reqs
	if got.body["biz_opaque_callback_data"] != "wf=x" {
		t.Errorf("biz_opaque_callback_data = %v, want wf=x", got.body["biz_opaque_callback_data"])
	}
	if got.body["text"].(map[string]any)["preview_url"] != false {
		t.Errorf("preview_url = %v, want false", got.body["text"])
	}
}

func TestSendTemplateAgainstFake(t *testing.T) {
	fg, c := fake(t)
	id, err := c.SendTemplate(context.Background(), sampleTemplate())
	if err != nil {
		t.Fatalf("SendTemplate: %v", err)
	}
	msgs := fg.MessagesTo("+16505551234")
	if len(msgs) != 1 {
		t.Fatalf("fake recorded %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if id == "" || id != m.ID || !strings.HasPrefix(id, "wamid.") {
		t.Errorf("wamid = %q, fake recorded %q", id, m.ID)
	}
	want := &fakegraph.Template{
		Name: "abandoned_cart_check_in", Language: "en_US",
		BodyParams:   []string{"Sheena", "Blue Trail Running Shoes"},
		QuickReplies: []string{"cart:c_8f3a:yes", "cart:c_8f3a:no"},
	}
	if m.Type != "template" || !reflect.DeepEqual(m.Template, want) {
		t.Errorf("fake decoded %s %+v, want template %+v", m.Type, m.Template, want)
	}
	if m.To != "16505551234" || m.CallbackData != "wf=abandoned-cart/c_8f3a;step=ask" {
		t.Errorf("to/callback = %q/%q", m.To, m.CallbackData)
	}
}

func TestSendTextAgainstFake(t *testing.T) {
	fg, c := fake(t)
	id, err := c.SendText(context.Background(), whatsapp.TextMessage{To: "+16505551234", Body: "a & b <c>", PreviewURL: true})
	if err != nil {
		t.Fatalf("SendText: %v", err)
	}
	msgs := fg.Messages()
	if len(msgs) != 1 || msgs[0].ID != id {
		t.Fatalf("fake messages = %+v, want one with id %q", msgs, id)
	}
	if got := msgs[0].Text; got == nil || got.Body != "a & b <c>" || !got.PreviewURL {
		t.Errorf("fake decoded text %+v", got)
	}
	if strings.Contains(string(msgs[0].Raw), `\u0026`) {
		t.Errorf("body HTML-escaped: %s", msgs[0].Raw)
	}
}

func TestPairRateLimitIsAPIErrorRetrySoon(t *testing.T) {
	fg, c := fake(t)
	fg.FailNext(http.StatusBadRequest, readSample(t, "send_error_response_131056.json"))

	_, err := c.SendTemplate(context.Background(), sampleTemplate())
	var apiErr *whatsapp.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v (%T), want *APIError", err, err)
	}
	want := whatsapp.APIError{
		HTTPStatus: 400, Code: 131056, Subcode: 2494071, Type: "OAuthException",
		Message:   "(#131056) (Business Account, Consumer Account) pair rate limit hit",
		Details:   "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.",
		FBTraceID: "A4O5a8RAgePwbcGSu",
	}
	if *apiErr != want {
		t.Errorf("APIError = %+v\nwant       %+v", *apiErr, want)
	}
	if got, want := err.Error(), "whatsapp: (#131056) (Business Account, Consumer Account) pair rate limit hit (http 400)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := whatsapp.Classify(fmt.Errorf("activity: %w", err)); got != whatsapp.RetrySoon {
		t.Errorf("Classify = %v, want RetrySoon", got)
	}
	if len(fg.Messages()) != 0 {
		t.Errorf("a failed send was recorded")
	}
}

// TestFailureClassification runs real HTTP answers through the client.
func TestFailureClassification(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		code     int
		want     whatsapp.Retry
		wantText string
	}{
		{"500 html", 500, "<html>upstream error</html>", 0, whatsapp.RetrySoon, "upstream error"},
		{"503 empty", 503, "", 0, whatsapp.RetrySoon, "Service Unavailable"},
		{"429 no code", 429, `{"error":{"message":"slow down"}}`, 0, whatsapp.RetrySoon, "slow down"},
		{"132001 template missing", 404, `{"error":{"message":"(#132001) Template name does not exist in the translation","type":"OAuthException","code":132001,"fbtrace_id":"x"}}`, 132001, whatsapp.RetryNever, "(#132001)"},
		{"131047 reengagement", 400, `{"error":{"message":"(#131047) Re-engagement message","code":131047}}`, 131047, whatsapp.RetryNever, "Re-engagement"},
		{"132015 paused", 400, `{"error":{"message":"(#132015) Template is paused","code":132015}}`, 132015, whatsapp.RetryLater, "paused"},
		{"coded 5xx", 500, `{"error":{"message":"(#131000) Something went wrong","code":131000}}`, 131000, whatsapp.RetrySoon, "Something"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fg, c := fake(t)
			fg.FailNext(tt.status, []byte(tt.body))
			_, err := c.SendText(context.Background(), whatsapp.TextMessage{To: "+16505551234", Body: "hi"})
			var apiErr *whatsapp.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v (%T), want *APIError", err, err)
			}
			if apiErr.HTTPStatus != tt.status || apiErr.Code != tt.code {
				t.Errorf("status/code = %d/%d, want %d/%d", apiErr.HTTPStatus, apiErr.Code, tt.status, tt.code)
			}
			if got := whatsapp.Classify(err); got != tt.want {
				t.Errorf("Classify = %v, want %v", got, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantText) || !strings.HasPrefix(err.Error(), "whatsapp: ") {
				t.Errorf("Error() = %q, want it to contain %q", err.Error(), tt.wantText)
			}
		})
	}
}

func TestWrongTokenIsRetryLater(t *testing.T) {
	fg, ts := fakegraph.NewTestServer(fakegraph.Options{PhoneNumberID: testPhoneID, Token: testToken})
	defer ts.Close()
	c := newClient(t, ts.URL, func(cfg *whatsapp.Config) { cfg.Token = "expired" })

	_, err := c.SendTemplate(context.Background(), sampleTemplate())
	var apiErr *whatsapp.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 190 || apiErr.HTTPStatus != 401 {
		t.Fatalf("err = %v, want APIError 190/401", err)
	}
	if got := whatsapp.Classify(err); got != whatsapp.RetryLater {
		t.Errorf("Classify = %v, want RetryLater", got)
	}
	if !strings.HasPrefix(err.Error(), "whatsapp: (#190) ") {
		t.Errorf("Error() = %q, want the code shown", err.Error())
	}
	if fg.Requests() != 1 || len(fg.Messages()) != 0 {
		t.Errorf("requests/messages = %d/%d, want 1/0", fg.Requests(), len(fg.Messages()))
	}
}

// slowServer never answers before the test ends.
func slowServer(t *testing.T) *httptest.Server {
	t.Helper()
	done := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	t.Cleanup(ts.Close)
	// Cleanups run last-in first-out: release the handler, then close.
	t.Cleanup(func() { close(done) })
	return ts
}

func TestContextDeadlineIsRetrySoon(t *testing.T) {
	c := newClient(t, slowServer(t).URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()

	start := time.Now()
	_, err := c.SendText(ctx, whatsapp.TextMessage{To: "+16505551234", Body: "hi"})
	if err == nil {
		t.Fatal("want an error from a server slower than the deadline")
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("send took %v; the deadline was not honoured", time.Since(start))
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
	}
	if _, ok := errors.AsType[*whatsapp.APIError](err); ok {
		t.Errorf("a timeout must not be an APIError: %v", err)
	}
	if got := whatsapp.Classify(err); got != whatsapp.RetrySoon {
		t.Errorf("Classify = %v, want RetrySoon", got)
	}
}

func TestHTTPClientTimeoutIsRetrySoon(t *testing.T) {
	c := newClient(t, slowServer(t).URL, func(cfg *whatsapp.Config) {
		cfg.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond}
	})
	_, err := c.SendText(context.Background(), whatsapp.TextMessage{To: "+16505551234", Body: "hi"})
	if err == nil {
		t.Fatal("want a timeout error")
	}
	if got := whatsapp.Classify(err); got != whatsapp.RetrySoon {
		t.Errorf("Classify(%v) = %v, want RetrySoon", err, got)
	}
}

func TestConnectionRefusedIsRetrySoon(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close() // nothing listens there any more
	c := newClient(t, url, nil)
	_, err := c.SendText(context.Background(), whatsapp.TextMessage{To: "+16505551234", Body: "hi"})
	if err == nil {
		t.Fatal("want a transport error")
	}
	if got := whatsapp.Classify(err); got != whatsapp.RetrySoon {
		t.Errorf("Classify(%v) = %v, want RetrySoon", err, got)
	}
}

func TestSuccessWithoutMessageIDIsError(t *testing.T) {
	for name, body := range map[string]string{
		"no messages":    `{"messaging_product":"whatsapp","contacts":[{"input":"1","wa_id":"1"}]}`,
		"empty messages": `{"messaging_product":"whatsapp","messages":[]}`,
		"empty id":       `{"messages":[{"id":""}]}`,
		"not json":       `OK`,
	} {
		t.Run(name, func(t *testing.T) {
			fg, c := fake(t)
			fg.FailNext(http.StatusOK, []byte(body))
			id, err := c.SendText(context.Background(), whatsapp.TextMessage{To: "+16505551234", Body: "hi"})
			if err == nil || id != "" {
				t.Fatalf("got id %q, err %v; want an error", id, err)
			}
			if !errors.Is(err, whatsapp.ErrNoMessageID) {
				t.Errorf("err = %v, want ErrNoMessageID", err)
			}
		})
	}
}

func TestInvalidMessagesAreNotSent(t *testing.T) {
	fg, c := fake(t)
	ctx := context.Background()
	tpl := func(mod func(*whatsapp.TemplateMessage)) whatsapp.TemplateMessage {
		m := sampleTemplate()
		mod(&m)
		return m
	}
	errs := map[string]error{}
	_, errs["empty to"] = c.SendTemplate(ctx, tpl(func(m *whatsapp.TemplateMessage) { m.To = "" }))
	_, errs["letters in to"] = c.SendTemplate(ctx, tpl(func(m *whatsapp.TemplateMessage) { m.To = "+1650CALLME" }))
	_, errs["no name"] = c.SendTemplate(ctx, tpl(func(m *whatsapp.TemplateMessage) { m.Name = "" }))
	_, errs["no language"] = c.SendTemplate(ctx, tpl(func(m *whatsapp.TemplateMessage) { m.Language = " " }))
	_, errs["empty param"] = c.SendTemplate(ctx, tpl(func(m *whatsapp.TemplateMessage) { m.BodyParams = []string{"a", ""} }))
	_, errs["empty payload"] = c.SendTemplate(ctx, tpl(func(m *whatsapp.TemplateMessage) { m.QuickReplies = []string{""} }))
	_, errs["long callback"] = c.SendTemplate(ctx, tpl(func(m *whatsapp.TemplateMessage) { m.CallbackData = strings.Repeat("x", 513) }))
	_, errs["empty text"] = c.SendText(ctx, whatsapp.TextMessage{To: "+16505551234"})
	for name, err := range errs {
		if !errors.Is(err, whatsapp.ErrInvalidMessage) {
			t.Errorf("%s: err = %v, want ErrInvalidMessage", name, err)
			continue
		}
		if got := whatsapp.Classify(err); got != whatsapp.RetryNever {
			t.Errorf("%s: Classify = %v, want RetryNever", name, got)
		}
	}
	if n := fg.Requests(); n != 0 {
		t.Errorf("%d invalid messages reached the API", n)
	}
}

func TestNewClientValidatesConfig(t *testing.T) {
	good := whatsapp.Config{BaseURL: "https://graph.facebook.com", Version: "v23.0", PhoneNumberID: "1", Token: "t"}
	if _, err := whatsapp.NewClient(good); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
	tests := []struct {
		field string
		mod   func(*whatsapp.Config)
	}{
		{"BaseURL", func(c *whatsapp.Config) { c.BaseURL = "" }},
		{"BaseURL", func(c *whatsapp.Config) { c.BaseURL = "graph.facebook.com" }},
		{"Version", func(c *whatsapp.Config) { c.Version = "" }},
		{"PhoneNumberID", func(c *whatsapp.Config) { c.PhoneNumberID = " " }},
		{"Token", func(c *whatsapp.Config) { c.Token = "" }},
	}
	for _, tt := range tests {
		cfg := good
		tt.mod(&cfg)
		c, err := whatsapp.NewClient(cfg)
		if err == nil || c != nil {
			t.Errorf("%+v: want an error", cfg)
			continue
		}
		if !strings.Contains(err.Error(), "Config."+tt.field) {
			t.Errorf("error %q does not name Config.%s", err, tt.field)
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}
