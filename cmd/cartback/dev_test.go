//go:build !nodev

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gofrs/flock"
	"github.com/sirupsen/logrus"

	"github.com/cartback/cartback/config"
	"github.com/cartback/cartback/devserver"
	"github.com/cartback/cartback/sandbox"
	"github.com/cartback/cartback/workflows"
)

// sendAtOnce sets the send delay and quiet hours of vars to send the template at once, unless
// vars set them: the tests expect it as soon as the cart is posted, whatever the hour.
func sendAtOnce(vars map[string]string) map[string]string {
	for k, v := range map[string]string{"CARTBACK_SEND_DELAY": "0", "CARTBACK_QUIET_HOURS": "off"} {
		if _, ok := vars[k]; !ok {
			vars[k] = v
		}
	}
	return vars
}

// startTestStack starts the whole dev stack in-process, as `cartback dev` does, on ephemeral ports
// with its data in dataDir. ui says whether to serve the Web UI.
func startTestStack(t *testing.T, dataDir string, ui bool) *devStack {
	t.Helper()
	return startTestStackOn(t, dataDir, "127.0.0.1:0", ui)
}

// startTestStackOn is startTestStack with its HTTP server on httpAddr.
func startTestStackOn(t *testing.T, dataDir, httpAddr string, ui bool) *devStack {
	t.Helper()
	return startTestStackWith(t, map[string]string{"CARTBACK_DATA_DIR": dataDir, "CARTBACK_HTTP_ADDR": httpAddr}, ui)
}

// startTestStackWith is startTestStack with the settings of vars.
func startTestStackWith(t *testing.T, vars map[string]string, ui bool) *devStack {
	t.Helper()
	return startTestStackWithOptions(t, vars, ui, devOptions{})
}

// startTestStackWithOptions is startTestStackWith with opts.
func startTestStackWithOptions(t *testing.T, vars map[string]string, ui bool, opts devOptions) *devStack {
	t.Helper()
	vars = sendAtOnce(vars)
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Dev.TemporalPort, cfg.Dev.UIPort = 0, devserver.NoUI
	if ui {
		cfg.Dev.UIPort = 0
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e, _ := testEnv(vars)
	s, err := startDev(ctx, e, log, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.stop() })
	return s
}

// api calls the storefront API and decodes the JSON answer into out (when not nil).
func (s *devStack) api(t *testing.T, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, s.baseURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.cfg.APIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return resp.StatusCode
}

func cartJSON(cartID, phone string) string {
	return fmt.Sprintf(`{"cart_id": %q,
		"customer": {"phone": %q, "name": "Sheena Nelson", "opt_in": {"at": "2026-11-01T10:00:00Z", "source": "checkout"}},
		"items": [{"sku": "shoe-42", "name": "Blue Trail Running Shoes", "quantity": 2, "unit_price": "64.99"}],
		"currency": "USD", "total": "129.98", "cart_url": "https://shop.example.com/cart/%s"}`, cartID, phone, cartID)
}

// await waits until the conversation with phone has an entry that match accepts.
func (s *devStack) await(t *testing.T, phone string, match func(sandbox.Entry) bool) sandbox.Entry {
	t.Helper()
	e, err := s.waitFor(phone, match)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// waitFor polls the sandbox for up to 30 seconds.
func (s *devStack) waitFor(phone string, match func(sandbox.Entry) bool) (sandbox.Entry, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, e := range s.sandbox.Conversation(phone) {
			if match(e) {
				return e, nil
			}
		}
		if time.Now().After(deadline) {
			return sandbox.Entry{}, fmt.Errorf("no such message for %s; conversation: %+v", phone, s.sandbox.Conversation(phone))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func isTemplate(e sandbox.Entry) bool {
	return e.Direction == sandbox.DirectionOut && e.Kind == sandbox.KindTemplate
}

func isFollowUp(e sandbox.Entry) bool {
	return e.Direction == sandbox.DirectionOut && e.Kind == sandbox.KindText
}

// outcome reads a cart's outcome over HTTP.
func (s *devStack) outcome(t *testing.T, cartID string) workflows.Outcome {
	t.Helper()
	var got struct {
		State workflows.State `json:"state"`
	}
	if code := s.api(t, http.MethodGet, "/v1/carts/"+cartID, "", &got); code != http.StatusOK {
		t.Fatalf("GET the cart: %d", code)
	}
	return got.State.Outcome
}

// TestDevStackRunsACartEndToEnd: POST a cart over HTTP, see the template in the sandbox, tap
// "2" (a signed webhook, as from Meta), see the coupon, read the outcome over HTTP and from
// Temporal, and find the run in the Web UI's server.
func TestDevStackRunsACartEndToEnd(t *testing.T) {
	s := startTestStack(t, t.TempDir(), true)
	const phone = "+525587654321"

	var started struct{ WorkflowID, RunID string }
	if code := s.api(t, http.MethodPost, "/v1/carts", cartJSON("c_dev1", phone), &started); code != http.StatusAccepted {
		t.Fatalf("POST /v1/carts: %d", code)
	}
	tpl := s.await(t, phone, isTemplate)
	if err := s.sandbox.Tap(context.Background(), phone, tpl.MessageID, workflows.NegativeButtonIndex); err != nil {
		t.Fatal(err)
	}
	coupon := s.await(t, phone, isFollowUp)
	if !strings.Contains(coupon.Text, "SAVE10") || !strings.Contains(coupon.Text, "https://shop.example.com/cart/c_dev1") {
		t.Fatalf("follow-up %q: want the coupon and the cart link", coupon.Text)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var res workflows.Result
	if err := s.client.GetWorkflow(ctx, workflows.WorkflowID(s.cfg.IDKey, phone), "").Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Outcome != workflows.OutcomeCouponSent {
		t.Fatalf("workflow result %+v", res)
	}
	if got := s.outcome(t, "c_dev1"); got != workflows.OutcomeCouponSent {
		t.Fatalf("outcome over HTTP %q", got)
	}
	resp, err := http.Get(s.temporal.UIAddress())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Web UI answered %d", resp.StatusCode)
	}
	// A browser on the sandbox asks for the icon at the root.
	resp, err = http.Get(s.baseURL + "/favicon.ico")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("/favicon.ico answered %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// TestDevStackResumesWaitingFlowsAfterARestart: stop the stack while a cart waits for its reply,
// start it again on the same data directory, reply: the flow goes on and finishes.
func TestDevStackResumesWaitingFlowsAfterARestart(t *testing.T) {
	dir := t.TempDir()
	// A Mexican mobile: the storefront has its E.164, WhatsApp reports it as 521… (see phone.Canonical).
	const phone, waID = "+525512345678", "5215512345678"
	first := startTestStack(t, dir, false)
	if code := first.api(t, http.MethodPost, "/v1/carts", cartJSON("c_restart", phone), nil); code != http.StatusAccepted {
		t.Fatalf("POST /v1/carts: %d", code)
	}
	first.await(t, phone, isTemplate)
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}

	before := first.sandbox.Conversation(phone)

	second := startTestStack(t, dir, false)
	if second.cfg.APIKey != first.cfg.APIKey || !bytes.Equal(second.cfg.IDKey, first.cfg.IDKey) {
		t.Fatal("the generated keys changed across the restart")
	}
	// The sandbox kept the conversation in the data directory: the template is still there to tap.
	if got := second.sandbox.Conversation(phone); len(got) != 1 || !isTemplate(got[0]) || got[0].MessageID != before[0].MessageID || got[0].Text != before[0].Text {
		t.Fatalf("after the restart the sandbox shows %+v, before it %+v", got, before)
	}
	if err := second.sandbox.Reply(context.Background(), waID, "1"); err != nil {
		t.Fatal(err)
	}
	// The follow-up goes to the wa_id that replied, which Meta guarantees to reach.
	reminder := second.await(t, waID, isFollowUp)
	if !strings.Contains(reminder.Text, "Blue Trail Running Shoes") {
		t.Fatalf("follow-up %q: want the reminder", reminder.Text)
	}
	if got := second.outcome(t, "c_restart"); got != workflows.OutcomeReminderSent {
		t.Fatalf("outcome %q", got)
	}
}

// TestSandboxPageInChromium drives the sandbox page in a real headless Chromium: the template
// reads as the shopper reads it; click "1" and the reminder appears, the template's buttons go
// off; a reload draws the same page (no gaps, scrolled to the newest message); after a restart of
// the stack the open page still taps a waiting template, and a reload lists both conversations.
func TestSandboxPageInChromium(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("no chromium on PATH (Debian's chromium package; .ci/run installs it): the sandbox page is not tested in a browser")
	}
	dir := t.TempDir()
	s := startTestStack(t, dir, false)
	const phone, waiting = "+525555550000", "+525555550001"
	for cart, p := range map[string]string{"c_browser": phone, "c_waiting": waiting} {
		if code := s.api(t, http.MethodPost, "/v1/carts", cartJSON(cart, p), nil); code != http.StatusAccepted {
			t.Fatalf("POST /v1/carts: %d", code)
		}
	}
	tpl := s.await(t, phone, isTemplate)
	s.await(t, waiting, isTemplate)

	// As root on a closed network, Chromium needs no sandbox and no background networking. The
	// window is low enough that a conversation of a few messages scrolls.
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1000, 600))
	allocCtx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	textOf := func(sel string) string {
		t.Helper()
		text, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("the text of %s: %v", sel, err)
		}
		return text
	}

	conversation := fmt.Sprintf(`[data-phone=%q] `, phone)
	template := conversation + `[data-kind="template"]`
	reminder := conversation + `[data-testid="message"][data-direction="out"][data-kind="text"]`
	run("open the page",
		chromedp.Navigate(s.baseURL+"/sandbox"),
		chromedp.WaitVisible(template+` [data-testid="quick-reply"][data-index="0"]`),
	)
	text, footer := textOf(template+` .text`), textOf(template+` .footer`)
	// A Mexican number and no customer.locale: the Spanish template.
	if !strings.HasPrefix(tpl.Text, "Hola Sheena, dejaste algo en tu carrito.") || text != tpl.Text || footer == "" {
		t.Fatalf("the template reads %q (footer %q), want the shopper's text %q", text, footer, tpl.Text)
	}
	run("tap 1",
		chromedp.Click(template+` [data-testid="quick-reply"][data-index="0"]`),
		chromedp.WaitVisible(reminder),
	)
	if text := textOf(reminder); !strings.Contains(text, "Blue Trail Running Shoes") || !strings.Contains(text, "https://shop.example.com/cart/c_browser") {
		t.Fatalf("the page shows %q: want the reminder", text)
	}
	if got := s.outcome(t, "c_browser"); got != workflows.OutcomeReminderSent {
		t.Fatalf("outcome %q", got)
	}
	// The shopper writes on after the flow ended: enough messages for the list to scroll.
	input, send := conversation+`[data-testid="reply-text"]`, conversation+`[data-testid="reply-send"]`
	for i := 1; i <= 4; i++ {
		run("type a reply",
			chromedp.SendKeys(input, fmt.Sprintf("thanks, message %d", i)),
			chromedp.Click(send),
			chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelectorAll(%q).length === %d`, conversation+`[data-direction="in"][data-kind="text"]`, i)),
		)
	}
	settled := fmt.Sprintf(`(function () {
		var sec = document.querySelector(%q);
		return fetch('/sandbox/api/conversations').then(function (r) { return r.json(); }).then(function (v) {
			var c = v.conversations.find(function (c) { return c.phone === %q; });
			var busy = c.entries.some(function (e) { return e.direction === 'out' ? e.status !== 'delivered' : e.status !== 'accepted'; });
			return !busy && sec.getAttribute('data-version') === String(c.version);
		});
	})()`, `[data-phone="`+phone+`"]`, phone)
	run("wait until every message is delivered and drawn",
		chromedp.Poll[chromedp.Void](settled, chromedp.WithPollingInterval(200*time.Millisecond)))

	live := snapshotConversation(t, ctx, phone)
	if live.Drawn != "script" {
		t.Fatalf("the live view was not drawn by the page's script: %+v", live)
	}
	if n := len(tpl.Buttons); n < 2 || live.Messages[0].Disabled != n {
		t.Errorf("the ended template has %d buttons off, want all %d of its buttons", live.Messages[0].Disabled, n)
	}
	run("reload", chromedp.Reload(), chromedp.WaitVisible(reminder))
	reloaded := snapshotConversation(t, ctx, phone)
	if reloaded.Drawn != "" {
		t.Fatalf("the reloaded view was redrawn by the script: %+v", reloaded)
	}
	compareSnapshots(t, live, reloaded)
	if !reloaded.Scrollable || !reloaded.AtBottom {
		t.Errorf("after the reload the list is not scrolled to the newest message: %+v", reloaded)
	}

	// Restart the stack on the same data directory and address, the page left open.
	addr := strings.TrimPrefix(s.baseURL, "http://")
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	second := startTestStackOn(t, dir, addr, false)
	other := fmt.Sprintf(`[data-phone=%q] `, waiting)
	coupon := other + `[data-testid="message"][data-direction="out"][data-kind="text"]`
	run("tap 2 on the waiting template after the restart",
		chromedp.Click(other+`[data-kind="template"] [data-testid="quick-reply"][data-index="1"]`),
		chromedp.WaitVisible(coupon),
	)
	if text := textOf(coupon); !strings.Contains(text, "SAVE10") {
		t.Fatalf("the page shows %q: want the coupon", text)
	}
	if got := second.outcome(t, "c_waiting"); got != workflows.OutcomeCouponSent {
		t.Fatalf("outcome %q", got)
	}
	run("reload after the restart", chromedp.Reload(), chromedp.WaitVisible(coupon))
	phones, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('[data-testid="conversation"]'), function (s) { return s.getAttribute('data-phone'); })`))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(phones) // the page lists the most recently active first: the order is not the point
	want := []string{phone, waiting}
	slices.Sort(want)
	if !slices.Equal(phones, want) {
		t.Errorf("after the restart the page lists %v", phones)
	}
	if after := snapshotConversation(t, ctx, phone); len(after.Messages) != len(live.Messages) {
		t.Errorf("after the restart the first conversation has %d messages, before %d", len(after.Messages), len(live.Messages))
	}
}

// pageConversation is what the browser shows of one conversation.
type pageConversation struct {
	Drawn      string // "script" when the page's script drew its messages, "" as the server did
	Scrollable bool
	AtBottom   bool // scrolled to the newest message
	Messages   []struct {
		ID       string
		Text     string  // innerText: what the eye reads, line breaks and blank lines included
		Height   float64 // rendered, in CSS pixels
		Disabled int     // buttons that are off
	}
}

func snapshotConversation(t *testing.T, ctx context.Context, phone string) pageConversation {
	t.Helper()
	expr := fmt.Sprintf(`(function () {
		var list = document.querySelector(%q);
		return {
			Drawn: list.getAttribute('data-drawn') || '',
			Scrollable: list.scrollHeight > list.clientHeight,
			AtBottom: list.scrollTop + list.clientHeight >= list.scrollHeight - 2,
			Messages: Array.from(list.children, function (li) {
				return {ID: li.getAttribute('data-message-id'), Text: li.innerText, Height: li.getBoundingClientRect().height,
					Disabled: li.querySelectorAll('button:disabled').length};
			})
		};
	})()`, `[data-phone="`+phone+`"] [data-testid="messages"]`)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[pageConversation](expr))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// compareSnapshots fails unless the two views show the same messages, with the same text, at
// the same height (to a pixel).
func compareSnapshots(t *testing.T, live, reloaded pageConversation) {
	t.Helper()
	if len(live.Messages) != len(reloaded.Messages) {
		t.Fatalf("live view %d messages, reloaded %d", len(live.Messages), len(reloaded.Messages))
	}
	for i, l := range live.Messages {
		r := reloaded.Messages[i]
		if l.ID != r.ID || l.Text != r.Text || l.Disabled != r.Disabled || math.Abs(l.Height-r.Height) > 1 {
			t.Errorf("message %d live: %+v\nreloaded: %+v", i, l, r)
		}
	}
}

// BenchmarkConversationsThroughTheDevStack measures whole conversations through one dev process
// (embedded Temporal on SQLite, worker, server, sandbox): POST the cart, wait for the template,
// reply "2" through the signed webhook, wait for the coupon. 8 shoppers at a time; the sends cap
// is lifted so that the figure is the stack's own. Run it with
//
//	go test -run '^$' -bench Conversations -benchtime 200x ./cmd/cartback/
func BenchmarkConversationsThroughTheDevStack(b *testing.B) {
	dir := b.TempDir()
	vars := sendAtOnce(map[string]string{"CARTBACK_DATA_DIR": dir, "CARTBACK_HTTP_ADDR": "127.0.0.1:0", "CARTBACK_SENDS_PER_SECOND": "10000"})
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		b.Fatal(err)
	}
	cfg.Dev.TemporalPort, cfg.Dev.UIPort = 0, devserver.NoUI
	log := logrus.New()
	log.SetOutput(io.Discard)
	e, _ := testEnv(vars)
	s, err := startDev(context.Background(), e, log, cfg, devOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = s.stop() }()

	shoppers := make(chan int)
	errs := make(chan error, b.N)
	b.ResetTimer()
	start := time.Now()
	for range 8 {
		go func() {
			for i := range shoppers {
				errs <- s.converse(i)
			}
		}()
	}
	for i := range b.N {
		shoppers <- i
	}
	close(shoppers)
	for range b.N {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "conversations/s")
}

// converse runs shopper i's whole conversation, for the benchmark.
func (s *devStack) converse(i int) error {
	phone := fmt.Sprintf("+52555000%04d", i)
	req, _ := http.NewRequest(http.MethodPost, s.baseURL+"/v1/carts", strings.NewReader(cartJSON(fmt.Sprintf("bench-%d", i), phone)))
	req.Header.Set("Authorization", "Bearer "+s.cfg.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("POST /v1/carts: %d", resp.StatusCode)
	}
	tpl, err := s.waitFor(phone, isTemplate)
	if err != nil {
		return err
	}
	if err := s.sandbox.Tap(context.Background(), phone, tpl.MessageID, workflows.NegativeButtonIndex); err != nil {
		return err
	}
	_, err = s.waitFor(phone, isFollowUp)
	return err
}

// TestDevRefusesWhatItCannotRun: a taken HTTP port and half-set WhatsApp credentials each stop
// `cartback dev` at start with an error naming the variables.
func TestDevRefusesWhatItCannotRun(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, tc := range []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"HTTP port taken", map[string]string{"CARTBACK_HTTP_ADDR": taken.Addr().String()}, []string{"CARTBACK_HTTP_ADDR"}},
		{"half the WhatsApp credentials", map[string]string{"CARTBACK_HTTP_ADDR": "127.0.0.1:0", "WHATSAPP_TOKEN": "t", "WHATSAPP_APP_SECRET": "s"},
			[]string{"WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_VERIFY_TOKEN"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.vars["CARTBACK_DATA_DIR"] = t.TempDir()
			cfg, err := config.Load(func(k string) (string, bool) { v, ok := tc.vars[k]; return v, ok })
			if err != nil {
				t.Fatal(err)
			}
			cfg.Dev.TemporalPort, cfg.Dev.UIPort = 0, devserver.NoUI
			log := logrus.New()
			log.SetOutput(io.Discard)
			e, _ := testEnv(tc.vars)
			s, err := startDev(context.Background(), e, log, cfg, devOptions{})
			if err == nil {
				_ = s.stop()
				t.Fatal("the stack started")
			}
			for _, v := range tc.want {
				if !strings.Contains(err.Error(), v) {
					t.Errorf("error %q does not name %s", err, v)
				}
			}
		})
	}
}

// TestDevRefusesADataDirectoryInUse: a second `cartback dev` on the same data directory would share
// its SQLite files; it is refused before anything starts, and the directory is free again once the
// first one stops.
func TestDevRefusesADataDirectoryInUse(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"CARTBACK_DATA_DIR": dir, "CARTBACK_HTTP_ADDR": "127.0.0.1:0"}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	held := flock.New(filepath.Join(dir, dataDirLock))
	if ok, err := held.TryLock(); !ok || err != nil {
		t.Fatalf("locking: %v %v", ok, err)
	}
	first := &devStack{cfg: cfg}
	if err := first.keys(); err == nil || !strings.Contains(err.Error(), "another `cartback dev` is running on "+dir) {
		t.Fatalf("a second stack on a directory in use: %v", err)
	}
	if err := held.Unlock(); err != nil {
		t.Fatal(err)
	}
	second := &devStack{cfg: cfg}
	if err := second.keys(); err != nil {
		t.Fatalf("once the directory is free: %v", err)
	}
	if err := second.stop(); err != nil {
		t.Fatal(err)
	}
}

// TestDevSaysItsTiming: the banner says when the first message goes, and how to send it at once
// when it does not.
func TestDevSaysItsTiming(t *testing.T) {
	if got := timingText(config.Flow{SendDelay: time.Hour, QuietHours: "21:00-09:00"}); got != "first message 1h after the cart, outside 21:00-09:00 in the shopper's time (CARTBACK_SEND_DELAY, CARTBACK_QUIET_HOURS); to send at once: CARTBACK_SEND_DELAY=0 CARTBACK_QUIET_HOURS=off" {
		t.Errorf("production defaults: %q", got)
	}
	if got := timingText(config.Flow{QuietHours: "off"}); got != "first message at once, no quiet hours (CARTBACK_SEND_DELAY, CARTBACK_QUIET_HOURS)" {
		t.Errorf("at once: %q", got)
	}
}
