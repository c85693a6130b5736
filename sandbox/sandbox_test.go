package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cartback/cartback/whatsapp"
	"github.com/cartback/cartback/whatsapp/webhook"
	"github.com/cartback/cartback/workflows"
)

const (
	phoneID   = "106540352242922"
	display   = "15550783881"
	wabaID    = "102290129340398"
	token     = "graph-token"
	appSecret = "app-secret"
	shopper   = "+525512345678"
	waID      = "525512345678"
	cartID    = "c_8f3a"
	waitFor   = 5 * time.Second
)

// fixedNow is the sandbox's clock in these tests, so timestamps can be checked exactly.
var fixedNow = time.Unix(1749416402, 0).UTC()

// received is one webhook post as our server would see it.
type received struct {
	raw   []byte
	event webhook.Event
}

// receiver stands for our webhook endpoint: it checks each post as server/webhook.go does
// (signature over the raw bytes, Parse, Events for our number) and keeps what it got.
type receiver struct {
	url      string
	answer   atomic.Int32 // HTTP status to answer; 0 means 200
	attempts atomic.Int32 // posts received, accepted or not

	messages chan received
	statuses chan received

	mu       sync.Mutex
	problems []string // checks that failed in the handler, reported by the test
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{messages: make(chan received, 100), statuses: make(chan received, 100)}
	ts := httptest.NewServer(http.HandlerFunc(r.serve))
	r.url = ts.URL + "/webhooks/whatsapp"
	t.Cleanup(func() {
		ts.Close()
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, p := range r.problems {
			t.Error("webhook receiver: " + p)
		}
	})
	return r
}

func (r *receiver) problem(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	r.attempts.Add(1)
	raw, err := io.ReadAll(req.Body)
	if err != nil {
		r.problem("read: %v", err)
		return
	}
	if req.Method != http.MethodPost || req.URL.Path != "/webhooks/whatsapp" || req.Header.Get("Content-Type") != "application/json" {
		r.problem("got %s %s (%s)", req.Method, req.URL.Path, req.Header.Get("Content-Type"))
	}
	if err := webhook.VerifySignature(raw, req.Header.Get("X-Hub-Signature-256"), appSecret); err != nil {
		r.problem("signature: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if status := r.answer.Load(); status != 0 {
		w.WriteHeader(int(status))
		_, _ = io.WriteString(w, `{"error":{"code":"scripted","message":"refused by the test"}}`)
		return
	}
	p, err := webhook.Parse(raw)
	if err != nil {
		r.problem("parse: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	events, ignored := p.Events(phoneID)
	if len(events) != 1 || len(ignored) != 0 {
		r.problem("events %+v, ignored %+v; want exactly one event", events, ignored)
	}
	for _, e := range events {
		if e.WABAID != wabaID || e.PhoneNumberID != phoneID {
			r.problem("event from WABA %q number %q", e.WABAID, e.PhoneNumberID)
		}
		switch e.Kind {
		case webhook.KindMessage:
			r.messages <- received{raw: raw, event: e}
		case webhook.KindStatus:
			r.statuses <- received{raw: raw, event: e}
		default:
			r.problem("unexpected event kind %q", e.Kind)
		}
	}
	w.WriteHeader(http.StatusOK)
}

// next waits for the next post on ch.
func next(t *testing.T, ch chan received, what string) received {
	t.Helper()
	select {
	case got := <-ch:
		return got
	case <-time.After(waitFor):
		t.Fatalf("no %s webhook within %s", what, waitFor)
		return received{}
	}
}

// start returns a sandbox posting to rcv and the base URL of a server mounting its handler.
func start(t *testing.T, rcv *receiver) (*Sandbox, string) {
	t.Helper()
	return startWith(t, rcv, func(*Options) {})
}

// startWith is start with the options that opt changes.
func startWith(t *testing.T, rcv *receiver, opt func(*Options)) (*Sandbox, string) {
	t.Helper()
	opts := Options{
		PhoneNumberID:      phoneID,
		DisplayPhoneNumber: display,
		WABAID:             wabaID,
		Token:              token,
		AppSecret:          appSecret,
		WebhookURL:         rcv.url,
		Now:                func() time.Time { return fixedNow },
		saveInterval:       time.Millisecond,
	}
	opt(&opts)
	sb, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	sb.retryDelays = []time.Duration{time.Millisecond, time.Millisecond}
	mux := http.NewServeMux()
	mux.Handle("/sandbox/", sb.Handler()) // as the dev server mounts it
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	t.Cleanup(func() { _ = sb.Close() }) // runs first: no status post outlives the test
	return sb, ts.URL
}

// client is the worker's real Graph client, pointed at the sandbox.
func client(t *testing.T, sb *Sandbox, base, tok string) *whatsapp.Client {
	t.Helper()
	c, err := whatsapp.NewClient(whatsapp.Config{BaseURL: sb.GraphBaseURL(base), Version: "v23.0", PhoneNumberID: phoneID, Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sendTemplate sends the README's template for cartID to the shopper and returns its wamid.
func sendTemplate(t *testing.T, c *whatsapp.Client, name string) string {
	t.Helper()
	id, err := c.SendTemplate(context.Background(), whatsapp.TemplateMessage{
		To:           shopper,
		Name:         "cart_check_in",
		Language:     "en_US",
		BodyParams:   []string{name},
		QuickReplies: []string{workflows.PositivePayload(cartID), workflows.NegativePayload(cartID)},
		CallbackData: "cart-recovery/0123abcd",
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// drainStatuses waits for the n status webhooks of earlier sends, so later checks see only theirs.
func drainStatuses(t *testing.T, rcv *receiver, n int) {
	t.Helper()
	for range n {
		next(t, rcv.statuses, "status")
	}
}

func TestNewValidates(t *testing.T) {
	good := Options{PhoneNumberID: phoneID, Token: token, AppSecret: appSecret, WebhookURL: "http://127.0.0.1:8080/webhooks/whatsapp"}
	if sb, err := New(good); err != nil {
		t.Fatalf("New(good) = %v", err)
	} else if sb.opts.DisplayPhoneNumber == "" || sb.opts.WABAID == "" || sb.opts.HTTPClient == nil || sb.opts.Now == nil {
		t.Errorf("defaults not filled in: %+v", sb.opts)
	}
	for name, mutate := range map[string]func(*Options){
		"PhoneNumberID": func(o *Options) { o.PhoneNumberID = " " },
		"Token":         func(o *Options) { o.Token = "" },
		"AppSecret":     func(o *Options) { o.AppSecret = "" },
		"WebhookURL":    func(o *Options) { o.WebhookURL = "127.0.0.1:8080/webhooks" },
	} {
		o := good
		mutate(&o)
		if _, err := New(o); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("without %s: New = %v, want an error naming it", name, err)
		}
	}
}

func TestSendsThroughTheRealClient(t *testing.T) {
	rcv := newReceiver(t)
	sb, base := start(t, rcv)
	c := client(t, sb, base, token)

	tplID := sendTemplate(t, c, "Sheena")
	textID, err := c.SendText(context.Background(), whatsapp.TextMessage{To: shopper, Body: "Here is your cart: https://shop.example/c/" + cartID})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tplID, "wamid.") || !strings.HasPrefix(textID, "wamid.") || tplID == textID {
		t.Errorf("wamids %q, %q", tplID, textID)
	}

	conv := sb.Conversation(shopper)
	if len(conv) != 2 {
		t.Fatalf("conversation = %+v, want the 2 sends", conv)
	}
	tpl, text := conv[0], conv[1]
	wantButtons := []Button{
		{Index: 0, Label: "1 - Still want it", Payload: workflows.PositivePayload(cartID)},
		{Index: 1, Label: "2 - Something stopped me", Payload: workflows.NegativePayload(cartID)},
	}
	if tpl.Direction != DirectionOut || tpl.Kind != KindTemplate || tpl.MessageID != tplID || !tpl.At.Equal(fixedNow) ||
		tpl.Template == nil || tpl.Template.Name != "cart_check_in" || fmt.Sprint(tpl.Buttons) != fmt.Sprint(wantButtons) {
		t.Errorf("template entry = %+v (template %+v)", tpl, tpl.Template)
	}
	if text.Direction != DirectionOut || text.Kind != KindText || text.MessageID != textID || !strings.HasSuffix(text.Text, "/c/"+cartID) {
		t.Errorf("text entry = %+v", text)
	}
	if got := sb.Conversation("52 55-1234-5678"); len(got) != 2 {
		t.Errorf("Conversation by another spelling of the number: %d entries", len(got))
	}
	if got := sb.Phones(); len(got) != 1 || got[0] != shopper {
		t.Errorf("Phones() = %v", got)
	}

	_, err = client(t, sb, base, "expired-token").SendText(context.Background(), whatsapp.TextMessage{To: shopper, Body: "hi"})
	var apiErr *whatsapp.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatus != http.StatusUnauthorized || apiErr.Code != 190 {
		t.Errorf("wrong token: %v, want Meta's 401 with code 190", err)
	}
	if n := len(sb.Conversation(shopper)); n != 2 {
		t.Errorf("a refused send was recorded: %d entries", n)
	}
}

func TestStatusWebhooks(t *testing.T) {
	rcv := newReceiver(t)
	sb, base := start(t, rcv)
	c := client(t, sb, base, token)
	tplID := sendTemplate(t, c, "Sheena")

	for _, want := range []string{webhook.StatusSent, webhook.StatusDelivered} {
		got := next(t, rcv.statuses, want)
		st := got.event.Status
		if st.MessageID != tplID || st.Status != want || st.RecipientID != waID ||
			st.CallbackData != "cart-recovery/0123abcd" || !st.Timestamp.Equal(fixedNow) {
			t.Errorf("%s status = %+v", want, st)
		}
		if !strings.Contains(string(got.raw), `"pricing":{"billable":true,"pricing_model":"PMP","category":"marketing","type":"regular"}`) {
			t.Errorf("%s status lacks the marketing pricing: %s", want, got.raw)
		}
	}
	waitUntil(t, "the template shows delivered", func() bool { return sb.Conversation(shopper)[0].Status == StatusDelivered })

	// A text (inside the service window) is free, and without callback data none is echoed.
	if _, err := c.SendText(context.Background(), whatsapp.TextMessage{To: shopper, Body: "hello"}); err != nil {
		t.Fatal(err)
	}
	got := next(t, rcv.statuses, "text sent")
	if got.event.Status.CallbackData != "" || !strings.Contains(string(got.raw), `"category":"service","type":"free_customer_service"`) ||
		strings.Contains(string(got.raw), "biz_opaque_callback_data") {
		t.Errorf("text status: %s", got.raw)
	}
	next(t, rcv.statuses, "text delivered")
	if f := sb.WebhookFailures(); len(f) != 0 {
		t.Errorf("failures logged: %+v", f)
	}
}

func TestStatusPostFailuresAreLoggedAndRetried(t *testing.T) {
	rcv := newReceiver(t)
	rcv.answer.Store(http.StatusServiceUnavailable)
	sb, base := start(t, rcv)
	tplID := sendTemplate(t, client(t, sb, base, token), "Sheena") // answered although every post fails

	waitUntil(t, "both statuses logged as failed", func() bool { return len(sb.WebhookFailures()) == 2 })
	for i, f := range sb.WebhookFailures() {
		if f.MessageID != tplID || f.HTTPStatus != http.StatusServiceUnavailable || f.Status != []string{"sent", "delivered"}[i] || f.Error == "" {
			t.Errorf("failure %d = %+v", i, f)
		}
	}
	if n := rcv.attempts.Load(); n != 6 {
		t.Errorf("%d posts, want 3 attempts for each of 2 statuses", n)
	}
	if st := sb.Conversation(shopper)[0].Status; st != StatusDelivered {
		t.Errorf("status %q: WhatsApp delivered it even if our server did not hear", st)
	}
}

func TestReplyPostsMetasTextWebhook(t *testing.T) {
	rcv := newReceiver(t)
	sb, _ := start(t, rcv)
	// Non-ASCII and '/' are escaped in Meta's bodies: the signature must hold over those bytes.
	text := "Olá 👍 https://shop.example/c?x=1&y=<2>"
	if err := sb.Reply(context.Background(), shopper, text); err != nil {
		t.Fatal(err)
	}
	got := next(t, rcv.messages, "text")
	m := got.event.Message
	if m.From != waID || m.Kind != webhook.MessageText || m.Text != text || m.Payload != "" || m.ContextID != "" ||
		!strings.HasPrefix(m.ID, "wamid.") || !m.Timestamp.Equal(fixedNow) {
		t.Errorf("message = %+v", m)
	}
	for _, want := range []string{`Ol\u00e1 \ud83d\udc4d https:\/\/shop.example\/c?x=1&y=<2>`, `"timestamp":"1749416402"`,
		`"contacts":[{"profile":{"name":"Sandbox Shopper"},"wa_id":"525512345678"}]`, `"display_phone_number":"15550783881"`} {
		if !strings.Contains(string(got.raw), want) {
			t.Errorf("body lacks %s: %s", want, got.raw)
		}
	}
	conv := sb.Conversation(shopper)
	if len(conv) != 1 || conv[0].Direction != DirectionIn || conv[0].Kind != KindText || conv[0].Text != text ||
		conv[0].MessageID != m.ID || conv[0].Status != StatusAccepted {
		t.Errorf("conversation = %+v", conv)
	}
	if err := sb.Reply(context.Background(), shopper, "again"); err != nil {
		t.Fatal(err)
	}
	if again := next(t, rcv.messages, "second text"); again.event.Message.ID == m.ID {
		t.Errorf("two messages share the wamid %s", m.ID)
	}
}

func TestTapPostsMetasButtonWebhook(t *testing.T) {
	rcv := newReceiver(t)
	sb, base := start(t, rcv)
	tplID := sendTemplate(t, client(t, sb, base, token), "Sheena")

	for _, tc := range []struct {
		button        int
		label, answer string
		class         workflows.ReplyClass
	}{
		{1, "2 - Something stopped me", workflows.NegativePayload(cartID), workflows.ReplyNegative},
		{0, "1 - Still want it", workflows.PositivePayload(cartID), workflows.ReplyPositive},
	} {
		if err := sb.Tap(context.Background(), shopper, tplID, tc.button); err != nil {
			t.Fatal(err)
		}
		got := next(t, rcv.messages, "button")
		m := got.event.Message
		if m.From != waID || m.Kind != webhook.MessageButton || m.Text != tc.label || m.Payload != tc.answer || m.ContextID != tplID {
			t.Errorf("tap %d: message = %+v", tc.button, m)
		}
		if !strings.Contains(string(got.raw), `"context":{"from":"15550783881","id":"`+tplID+`"}`) ||
			!strings.Contains(string(got.raw), `"profile":{"name":"Sheena"}`) {
			t.Errorf("tap %d: body %s", tc.button, got.raw)
		}
		// What the flow makes of it, through the contract's classifier.
		r := workflows.Reply{MessageID: m.ID, Kind: m.Kind, Text: m.Text, Payload: m.Payload}
		if class := workflows.ClassifyReply(r, cartID); class != tc.class {
			t.Errorf("tap %d classified %q, want %q", tc.button, class, tc.class)
		}
	}
	conv := sb.Conversation(shopper)
	if len(conv) != 3 || conv[1].Kind != KindButton || conv[1].ContextID != tplID || conv[1].Text != "2 - Something stopped me" ||
		len(conv[1].Buttons) != 1 || conv[1].Buttons[0].Payload != workflows.NegativePayload(cartID) {
		t.Errorf("conversation = %+v", conv)
	}
}

// apiPost POSTs body to the reply API and decodes the answer.
func apiPost(t *testing.T, base, contentType, body string) (int, replyAnswer) {
	t.Helper()
	resp, err := http.Post(base+"/sandbox/api/reply", contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans replyAnswer
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		t.Fatalf("answer %d is not JSON: %v", resp.StatusCode, err)
	}
	return resp.StatusCode, ans
}

func TestReplyAPI(t *testing.T) {
	rcv := newReceiver(t)
	sb, base := start(t, rcv)
	c := client(t, sb, base, token)
	tplID := sendTemplate(t, c, "Sheena")
	textID, err := c.SendText(context.Background(), whatsapp.TextMessage{To: shopper, Body: "a text has no buttons"})
	if err != nil {
		t.Fatal(err)
	}
	drainStatuses(t, rcv, 4)

	code, ans := apiPost(t, base, "application/json", `{"phone":"+525512345678","text":"1"}`)
	if code != http.StatusAccepted || !strings.HasPrefix(ans.MessageID, "wamid.") {
		t.Errorf("text: %d %+v", code, ans)
	}
	if m := next(t, rcv.messages, "text").event.Message; m.Text != "1" || m.ID != ans.MessageID {
		t.Errorf("posted %+v", m)
	}
	code, ans = apiPost(t, base, "application/json", fmt.Sprintf(`{"phone":"525512345678","message_id":%q,"button":0}`, tplID))
	if code != http.StatusAccepted {
		t.Errorf("tap: %d %+v", code, ans)
	}
	if m := next(t, rcv.messages, "tap").event.Message; m.Payload != workflows.PositivePayload(cartID) || m.ContextID != tplID {
		t.Errorf("posted %+v", m)
	}

	for _, tc := range []struct{ name, body string }{
		{"empty text", `{"phone":"+525512345678","text":""}`},
		{"blank text", `{"phone":"+525512345678","text":" \n "}`},
		{"no text", `{"phone":"+525512345678"}`},
		{"bad phone", `{"phone":"call me","text":"1"}`},
		{"tap unknown phone", fmt.Sprintf(`{"phone":"+447700900123","message_id":%q,"button":0}`, tplID)},
		{"tap unknown message", `{"phone":"+525512345678","message_id":"wamid.nope","button":0}`},
		{"tap without message", `{"phone":"+525512345678","button":0}`},
		{"tap a text", fmt.Sprintf(`{"phone":"+525512345678","message_id":%q,"button":0}`, textID)},
		{"button too high", fmt.Sprintf(`{"phone":"+525512345678","message_id":%q,"button":2}`, tplID)},
		{"button negative", fmt.Sprintf(`{"phone":"+525512345678","message_id":%q,"button":-1}`, tplID)},
		{"text and button", fmt.Sprintf(`{"phone":"+525512345678","message_id":%q,"button":0,"text":"1"}`, tplID)},
		{"not json", `phone=1`},
		{"unknown field", fmt.Sprintf(`{"phone":"+525512345678","message_id":%q,"buton":0}`, tplID)},
	} {
		if code, ans := apiPost(t, base, "application/json", tc.body); code != http.StatusBadRequest || ans.Error == "" {
			t.Errorf("%s: %d %+v, want 400 with an error", tc.name, code, ans)
		}
	}
	if code, _ := apiPost(t, base, "text/plain", `{"phone":"+525512345678","text":"1"}`); code != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain body: %d, want 415", code)
	}
	if n := len(sb.Conversation(shopper)); n != 4 {
		t.Errorf("%d entries: refused replies were recorded", n)
	}

	rcv.answer.Store(http.StatusUnauthorized)
	code, ans = apiPost(t, base, "application/json", `{"phone":"+525512345678","text":"2"}`)
	if code != http.StatusBadGateway || ans.WebhookStatus != http.StatusUnauthorized || !strings.Contains(ans.Error, "401") {
		t.Errorf("refused by our server: %d %+v, want 502 naming 401", code, ans)
	}
	conv := sb.Conversation(shopper)
	if last := conv[len(conv)-1]; last.MessageID != ans.MessageID || last.Status != StatusFailed || !strings.Contains(last.Error, "401") {
		t.Errorf("refused reply recorded as %+v", last)
	}
}

func TestReplyToUnreachableWebhook(t *testing.T) {
	rcv := newReceiver(t)
	sb, _ := start(t, rcv)
	sb.opts.WebhookURL = "http://127.0.0.1:1/webhooks/whatsapp" // nothing listens on port 1
	err := sb.Reply(context.Background(), shopper, "1")
	var werr *WebhookError
	if !errors.As(err, &werr) || werr.StatusCode != 0 || werr.Err == nil {
		t.Errorf("Reply = %v, want a *WebhookError without status", err)
	}
}

func TestPostReply(t *testing.T) {
	rcv := newReceiver(t)
	_, base := start(t, rcv)
	ctx := context.Background()
	if err := PostReply(ctx, base+"/", shopper, "2"); err != nil {
		t.Fatal(err)
	}
	if m := next(t, rcv.messages, "text").event.Message; m.Text != "2" || m.From != waID {
		t.Errorf("posted %+v", m)
	}
	if err := PostReply(ctx, base, shopper, " "); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty text: %v, want ErrInvalid saying why", err)
	}
	rcv.answer.Store(http.StatusServiceUnavailable)
	if err := PostReply(ctx, base, shopper, "2"); err == nil || errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "503") {
		t.Errorf("refused by our server: %v, want an error naming 503", err)
	}
	if err := PostReply(ctx, base+"/elsewhere", shopper, "2"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("no sandbox there: %v", err)
	}
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func TestPage(t *testing.T) {
	rcv := newReceiver(t)
	sb, base := start(t, rcv)

	code, _, page := get(t, base+"/sandbox")
	if code != http.StatusOK || !strings.Contains(page, `<p id="empty">`) || strings.Contains(page, `data-phone="`) {
		t.Errorf("empty page: %d\n%s", code, page)
	}

	evil := "<script>alert(1)</script>"
	tplID := sendTemplate(t, client(t, sb, base, token), evil)
	if err := sb.Reply(context.Background(), shopper, `<b onclick="x()">hi</b>`); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/sandbox", "/sandbox/"} {
		code, h, page := get(t, base+path)
		if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s: %d %s", path, code, h.Get("Content-Type"))
		}
		for _, want := range []string{
			`<p id="empty" hidden>`,
			`data-phone="&#43;525512345678"`,
			`data-testid="message" data-direction="out" data-kind="template" data-message-id="` + tplID + `"`,
			`data-testid="message" data-direction="in" data-kind="text"`,
			`data-testid="quick-reply" data-index="0" data-message-id="` + tplID + `">1 - Still want it</button>`,
			`data-testid="quick-reply" data-index="1" data-message-id="` + tplID + `">2 - Something stopped me</button>`,
			`data-testid="reply-text"`, `data-testid="reply-send"`,
			`<span class="template-ref">cart_check_in · en_US</span>`,
			"Hi &lt;script&gt;alert(1)&lt;/script&gt;, you left something in your cart.", "&lt;b onclick=&#34;x()&#34;&gt;hi&lt;/b&gt;",
			`<link rel="icon" type="image/png" href="/sandbox/favicon.ico">`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("GET %s lacks %s", path, want)
			}
		}
		if strings.Contains(page, evil) || strings.Contains(page, "<b onclick") || strings.Count(page, "<script") != 1 {
			t.Errorf("GET %s: data not escaped:\n%s", path, page)
		}
		if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
			t.Errorf("GET %s refers to an external asset", path)
		}
	}
}

func TestConversationsAPI(t *testing.T) {
	rcv := newReceiver(t)
	sb, base := start(t, rcv)
	tplID := sendTemplate(t, client(t, sb, base, token), "Sheena")
	if err := sb.Tap(context.Background(), shopper, tplID, 0); err != nil {
		t.Fatal(err)
	}
	code, h, body := get(t, base+"/sandbox/api/conversations")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("%d %s", code, h.Get("Content-Type"))
	}
	var v struct {
		Conversations []struct {
			Phone   string `json:"phone"`
			Version int    `json:"version"`
			Entries []struct {
				Direction, MessageID, Kind, Text, Time, ContextID string
				Template                                          *struct {
					Name       string   `json:"name"`
					BodyParams []string `json:"body_params"`
				}
				Buttons []Button
			}
		}
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Conversations) != 1 || v.Conversations[0].Phone != shopper || len(v.Conversations[0].Entries) != 2 {
		t.Fatalf("conversations = %s", body)
	}
	out, in := v.Conversations[0].Entries[0], v.Conversations[0].Entries[1]
	if out.Template == nil || out.Template.Name != "cart_check_in" || fmt.Sprint(out.Template.BodyParams) != "[Sheena]" ||
		len(out.Buttons) != 2 || out.Buttons[1].Label != "2 - Something stopped me" || out.Time == "" {
		t.Errorf("template entry: %s", body)
	}
	if in.Direction != "in" || in.Kind != "button" || in.Text != "1 - Still want it" || !strings.Contains(body, `"context_id":"`+tplID+`"`) {
		t.Errorf("tap entry: %s", body)
	}
	if !strings.Contains(body, `"webhook_failures":[]`) {
		t.Errorf("webhook_failures should be an empty list: %s", body)
	}
}

func TestRoutes(t *testing.T) {
	rcv := newReceiver(t)
	sb, base := start(t, rcv)
	if code, _, body := get(t, sb.GraphBaseURL(base)+"/v23.0/"+phoneID+"/messages"); code != http.StatusBadRequest || !strings.Contains(body, `"code":100`) {
		t.Errorf("GET on the messages endpoint: %d %s, want Graph's 400", code, body)
	}
	if code, _, _ := get(t, base+"/sandbox/nothing"); code != http.StatusNotFound {
		t.Errorf("unknown path: %d", code)
	}
	if code, _, _ := get(t, base+"/sandbox/api/reply"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET reply: %d", code)
	}
	if got := sb.GraphBaseURL("http://127.0.0.1:8080/"); got != "http://127.0.0.1:8080/sandbox/graph" {
		t.Errorf("GraphBaseURL = %s", got)
	}
}

func TestNoStatusesAfterClose(t *testing.T) {
	rcv := newReceiver(t)
	sb, base := start(t, rcv)
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	sendTemplate(t, client(t, sb, base, token), "Sheena")
	if n := len(sb.Conversation(shopper)); n != 1 {
		t.Errorf("send after Close not recorded: %d", n)
	}
	time.Sleep(50 * time.Millisecond)
	if n := rcv.attempts.Load(); n != 0 {
		t.Errorf("%d webhooks posted after Close", n)
	}
}

// waitUntil polls cond until it holds or the test's patience runs out.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
