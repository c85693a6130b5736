package fakegraph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cartback/cartback/whatsapp/fakegraph"
)

const (
	phoneID = "106540352242922"
	token   = "secret"
)

// samplesDir holds Meta's sample payloads, copied byte for byte from Meta's documented shapes.
const samplesDir = "testdata"

func start(t *testing.T, opts fakegraph.Options) (*fakegraph.Server, string) {
	t.Helper()
	if opts.PhoneNumberID == "" {
		opts.PhoneNumberID = phoneID
	}
	if opts.Token == "" {
		opts.Token = token
	}
	s, ts := fakegraph.NewTestServer(opts)
	t.Cleanup(ts.Close)
	return s, ts.URL
}

// answer is a decoded response.
type answer struct {
	status int
	body   map[string]any
}

// errorCode returns error.code from an error answer (0 if none).
func (a answer) errorCode() int {
	e, _ := a.body["error"].(map[string]any)
	c, _ := e["code"].(float64)
	return int(c)
}

// post sends body and fails the test on transport or decoding errors; it
// must run on the test goroutine (use send elsewhere).
func post(t *testing.T, url, bearer, body string) answer {
	t.Helper()
	a, err := send(url, bearer, body)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// send POSTs body with an optional bearer token and decodes the answer.
func send(url, bearer, body string) (answer, error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{status: resp.StatusCode}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &a.body); err != nil {
			return answer{}, fmt.Errorf("answer is not JSON: %s", raw)
		}
	}
	return a, nil
}

func textBody(to, text string) string {
	return fmt.Sprintf(`{"messaging_product":"whatsapp","recipient_type":"individual","to":%q,"type":"text","text":{"body":%q}}`, to, text)
}

func messagesURL(base string) string { return base + "/v23.0/" + phoneID + "/messages" }

func TestAcceptsTemplateSample(t *testing.T) {
	s, base := start(t, fakegraph.Options{})
	sample, err := os.ReadFile(samplesDir + "/send_template_request.json")
	if err != nil {
		t.Fatal(err)
	}
	a := post(t, messagesURL(base), token, string(sample)) // "_" keys are ignored like unknown fields
	if a.status != http.StatusOK {
		t.Fatalf("status %d: %v", a.status, a.body)
	}
	msgs := a.body["messages"].([]any)
	id := msgs[0].(map[string]any)["id"].(string)
	contact := a.body["contacts"].([]any)[0].(map[string]any)
	if a.body["messaging_product"] != "whatsapp" || contact["input"] != "16505551234" || contact["wa_id"] != "16505551234" {
		t.Errorf("answer %v does not match Meta's success shape", a.body)
	}
	got := s.Messages()
	if len(got) != 1 || got[0].ID != id || !strings.HasPrefix(id, "wamid.") {
		t.Fatalf("recorded %+v, answered id %q", got, id)
	}
	tpl := got[0].Template
	if tpl == nil || tpl.Name != "abandoned_cart_check_in" || tpl.Language != "en_US" ||
		strings.Join(tpl.BodyParams, "|") != "Sheena|Blue Trail Running Shoes" ||
		strings.Join(tpl.QuickReplies, "|") != "cart:c_8f3a:yes|cart:c_8f3a:no" {
		t.Errorf("decoded template %+v", tpl)
	}
	if got[0].CallbackData != "wf=abandoned-cart/c_8f3a;step=ask" || string(got[0].Raw) != string(sample) || got[0].At.IsZero() {
		t.Errorf("callback/raw/at not recorded: %+v", got[0])
	}
}

func TestRejectsBadToken(t *testing.T) {
	s, base := start(t, fakegraph.Options{})
	for name, bearer := range map[string]string{"wrong": "nope", "missing": ""} {
		a := post(t, messagesURL(base), bearer, textBody("+16505551234", "hi"))
		e, _ := a.body["error"].(map[string]any)
		if a.status != http.StatusUnauthorized || a.errorCode() != 190 || e["type"] != "OAuthException" {
			t.Errorf("%s token: %d %v, want 401 code 190 OAuthException", name, a.status, a.body)
		}
	}
	if len(s.Messages()) != 0 || s.Requests() != 2 {
		t.Errorf("messages/requests = %d/%d, want 0/2", len(s.Messages()), s.Requests())
	}
}

func TestRejectsBadRequests(t *testing.T) {
	s, base := start(t, fakegraph.Options{})
	url := messagesURL(base)
	tests := []struct {
		name, url, body string
		code            int
	}{
		{"unknown phone id", base + "/v23.0/999/messages", textBody("1", "hi"), 100},
		{"bad path", base + "/v23.0/" + phoneID + "/media", textBody("1", "hi"), 100},
		{"not json", url, `hello`, 100},
		{"json array", url, `[]`, 100},
		{"wrong field type", url, `{"messaging_product":"whatsapp","to":16505551234,"type":"text","text":{"body":"x"}}`, 100},
		{"no messaging_product", url, `{"to":"1","type":"text","text":{"body":"x"}}`, 100},
		{"wrong messaging_product", url, `{"messaging_product":"sms","to":"1","type":"text","text":{"body":"x"}}`, 100},
		{"bad recipient_type", url, `{"messaging_product":"whatsapp","recipient_type":"crowd","to":"1","type":"text","text":{"body":"x"}}`, 100},
		{"missing to", url, `{"messaging_product":"whatsapp","type":"text","text":{"body":"x"}}`, 131008},
		{"letters in to", url, textBody("call-me", "x"), 100},
		{"unknown type", url, `{"messaging_product":"whatsapp","to":"1","type":"fax"}`, 100},
		{"text without body", url, `{"messaging_product":"whatsapp","to":"1","type":"text","text":{}}`, 131008},
		{"text object missing", url, `{"messaging_product":"whatsapp","to":"1","type":"text"}`, 131008},
		{"template missing", url, `{"messaging_product":"whatsapp","to":"1","type":"template"}`, 131008},
		{"template without name", url, `{"messaging_product":"whatsapp","to":"1","type":"template","template":{"language":{"code":"en_US"}}}`, 131008},
		{"template without language", url, `{"messaging_product":"whatsapp","to":"1","type":"template","template":{"name":"t"}}`, 131008},
		{"empty body param", url, `{"messaging_product":"whatsapp","to":"1","type":"template","template":{"name":"t","language":{"code":"en"},"components":[{"type":"body","parameters":[{"type":"text","text":""}]}]}}`, 131008},
		{"bad button index", url, `{"messaging_product":"whatsapp","to":"1","type":"template","template":{"name":"t","language":{"code":"en"},"components":[{"type":"button","sub_type":"quick_reply","index":"x","parameters":[{"type":"payload","payload":"p"}]}]}}`, 100},
		{"image without image", url, `{"messaging_product":"whatsapp","to":"1","type":"image"}`, 131008},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := post(t, tt.url, token, tt.body)
			if a.status != http.StatusBadRequest || a.errorCode() != tt.code {
				t.Errorf("got %d %v, want 400 code %d", a.status, a.body, tt.code)
			}
			e, _ := a.body["error"].(map[string]any)
			if e["message"] == "" || e["fbtrace_id"] == "" {
				t.Errorf("error lacks message/fbtrace_id: %v", e)
			}
		})
	}
	if n := len(s.Messages()); n != 0 {
		t.Errorf("%d invalid sends were recorded", n)
	}
	if n := s.Requests(); n != len(tests) {
		t.Errorf("Requests() = %d, want %d", n, len(tests))
	}
}

func TestRejectsGet(t *testing.T) {
	_, base := start(t, fakegraph.Options{})
	resp, err := http.Get(messagesURL(base))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("GET answered %d, want 400", resp.StatusCode)
	}
}

func TestMessagesTo(t *testing.T) {
	s, base := start(t, fakegraph.Options{})
	url := messagesURL(base)
	for _, b := range []string{
		textBody("+16505551234", "one"),
		textBody("447700900123", "other"),
		`{"messaging_product":"whatsapp","to":"16505551234","text":{"body":"two"}}`, // type defaults to text
	} {
		if a := post(t, url, token, b); a.status != http.StatusOK {
			t.Fatalf("send %s: %d %v", b, a.status, a.body)
		}
	}
	for _, to := range []string{"+16505551234", "16505551234"} {
		got := s.MessagesTo(to)
		if len(got) != 2 || got[0].Text.Body != "one" || got[1].Text.Body != "two" || got[0].To != "16505551234" {
			t.Errorf("MessagesTo(%q) = %+v", to, got)
		}
	}
	if got := s.MessagesTo("+447700900123"); len(got) != 1 || got[0].Text.Body != "other" {
		t.Errorf("MessagesTo(other) = %+v", got)
	}
	if got := s.MessagesTo("+10000000000"); len(got) != 0 {
		t.Errorf("MessagesTo(nobody) = %+v", got)
	}
}

func TestFailNextQueue(t *testing.T) {
	s, base := start(t, fakegraph.Options{})
	sample, err := os.ReadFile(samplesDir + "/send_error_response_131056.json")
	if err != nil {
		t.Fatal(err)
	}
	s.FailNext(http.StatusBadRequest, sample)
	s.FailNext(http.StatusInternalServerError, []byte(`{"error":{"message":"boom"}}`))
	url := messagesURL(base)

	// A request failing the token check must not consume a scripted answer.
	if a := post(t, url, "wrong", textBody("1", "x")); a.status != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", a.status)
	}
	if a := post(t, url, token, textBody("1", "x")); a.status != 400 || a.errorCode() != 131056 {
		t.Errorf("1st: %d %v, want the 131056 sample", a.status, a.body)
	}
	if a := post(t, url, token, textBody("1", "x")); a.status != 500 || a.errorCode() != 0 {
		t.Errorf("2nd: %d %v, want 500 without code", a.status, a.body)
	}
	if a := post(t, url, token, textBody("1", "x")); a.status != 200 {
		t.Errorf("3rd: %d %v, want success once the queue is empty", a.status, a.body)
	}
	if len(s.Messages()) != 1 || s.Requests() != 4 {
		t.Errorf("messages/requests = %d/%d, want 1/4", len(s.Messages()), s.Requests())
	}
}

func TestWait(t *testing.T) {
	s, base := start(t, fakegraph.Options{})
	var wg sync.WaitGroup
	defer wg.Wait() // the sender reports through t, so it must end first
	wg.Go(func() {
		time.Sleep(20 * time.Millisecond)
		for i := range 3 {
			if _, err := send(messagesURL(base), token, textBody("1", fmt.Sprint(i))); err != nil {
				t.Error(err)
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := s.Wait(ctx, 3)
	if err != nil || len(got) < 3 {
		t.Fatalf("Wait = %d messages, %v", len(got), err)
	}

	short, cancel2 := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel2()
	got, err = s.Wait(short, 4)
	if err == nil || len(got) != 3 {
		t.Errorf("Wait beyond what was sent = %d messages, %v; want 3 and a deadline error", len(got), err)
	}
}

func TestConcurrentSendsAndOnMessage(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	s, base := start(t, fakegraph.Options{OnMessage: func(m fakegraph.Message) {
		mu.Lock()
		defer mu.Unlock()
		seen[m.ID] = true
	}})
	const n = 40
	var wg sync.WaitGroup
	ids := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			a, err := send(messagesURL(base), token, textBody(fmt.Sprintf("+1650555%04d", i%5), "hi"))
			if err != nil {
				t.Error(err)
				return
			}
			msgs, _ := a.body["messages"].([]any)
			if len(msgs) == 1 {
				ids <- msgs[0].(map[string]any)["id"].(string)
			}
		})
	}
	wg.Wait()
	close(ids)
	unique := map[string]bool{}
	for id := range ids {
		unique[id] = true
	}
	mu.Lock()
	defer mu.Unlock()
	if len(unique) != n || len(seen) != n || len(s.Messages()) != n {
		t.Errorf("unique ids %d, OnMessage saw %d, recorded %d; want %d each", len(unique), len(seen), len(s.Messages()), n)
	}
	for id := range unique {
		if !seen[id] {
			t.Errorf("OnMessage missed %s", id)
		}
	}
}

func TestEmptyOptionsAcceptAnyIDAndToken(t *testing.T) {
	s := fakegraph.New(fakegraph.Options{})
	ts := httptest.NewServer(s)
	defer ts.Close()
	if a := post(t, ts.URL+"/v21.0/42/messages", "anything", textBody("1", "x")); a.status != 200 {
		t.Errorf("got %d %v", a.status, a.body)
	}
	if a := post(t, ts.URL+"/v21.0/42/messages", "", textBody("1", "x")); a.status != 401 {
		t.Errorf("no token: got %d, want 401", a.status)
	}
}
