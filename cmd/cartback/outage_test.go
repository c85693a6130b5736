//go:build !nodev

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cartback/cartback/devserver"
	"github.com/cartback/cartback/sandbox"
	"github.com/cartback/cartback/starter"
	"github.com/cartback/cartback/workflows"
)

// outageBound is the generous bound on an answer while Temporal is down or just back: the figures
// themselves are the script's (README, Reliability), never asserted here.
const outageBound = 5 * time.Second

// TestTemporalOutage: while the embedded Temporal is stopped, a cart post and a shopper's reply are
// answered 503 with Retry-After, promptly; nothing is half done; once Temporal is back (same data,
// same port) the same requests succeed, and the flow that waited through the outage goes on.
func TestTemporalOutage(t *testing.T) {
	dir := t.TempDir()
	s := startTestStack(t, dir, false)
	const waiting, refused = "+525533030001", "+525533030002"
	if code := s.api(t, http.MethodPost, "/v1/carts", cartJSON("cart-before", waiting), nil); code != http.StatusAccepted {
		t.Fatalf("before the outage: %d", code)
	}
	s.await(t, waiting, isTemplate)

	_, port, _ := net.SplitHostPort(s.temporal.FrontendAddress())
	if err := s.temporal.Stop(); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	code, retryAfter := s.post(t, "/v1/carts", cartJSON("cart-during", refused))
	if took := time.Since(began); code != http.StatusServiceUnavailable || retryAfter == "" || took > outageBound {
		t.Errorf("a cart posted while Temporal is down: %d, Retry-After %q, in %v; want 503 with Retry-After within %v", code, retryAfter, took, outageBound)
	}
	t.Logf("503 to a cart post in %v", time.Since(began).Round(time.Millisecond))
	var werr *sandbox.WebhookError
	if err := s.sandbox.Reply(context.Background(), waiting, "1"); !errors.As(err, &werr) || werr.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a reply while Temporal is down: %v, want the webhook answered 503", err)
	}

	restartTemporal(t, s, port)
	returned := time.Now()
	for {
		if code, _ := s.post(t, "/readyz", ""); code == http.StatusOK {
			break
		}
		if time.Since(returned) > 30*time.Second {
			t.Fatal("not ready 30 s after Temporal returned")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("ready %v after Temporal returned", time.Since(returned).Round(time.Millisecond))
	if code := s.api(t, http.MethodGet, "/v1/carts/cart-during", "", nil); code != http.StatusNotFound {
		t.Errorf("the cart refused during the outage has a flow (%d): it was half done", code)
	}
	if code := s.api(t, http.MethodPost, "/v1/carts", cartJSON("cart-during", refused), nil); code != http.StatusAccepted {
		t.Errorf("the same cart once Temporal is back: %d, want 202", code)
	}
	if err := s.sandbox.Reply(context.Background(), waiting, "1"); err != nil {
		t.Errorf("the same reply once Temporal is back: %v", err)
	}
	s.await(t, waiting, isFollowUp)
}

// restartTemporal starts the stack's embedded Temporal again, on its data and its port, after the
// test stopped it.
func restartTemporal(t *testing.T, s *devStack, port string) {
	t.Helper()
	frontendPort, _ := strconv.Atoi(port)
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	back, err := devserver.Start(context.Background(), devserver.Options{DataDir: s.cfg.Dev.DataDir, Retention: s.cfg.Dev.Retention,
		FrontendPort: frontendPort, UIPort: devserver.NoUI, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = back.Stop() })
}

// TestTimersSurviveATemporalRestart: 200 flows wait on their reply timers while the embedded,
// file-backed Temporal stops and starts again; every timer fires and every flow ends no_reply.
func TestTimersSurviveATemporalRestart(t *testing.T) {
	const carts = 200
	s := startTestStackWith(t, map[string]string{"CARTBACK_DATA_DIR": t.TempDir(), "CARTBACK_HTTP_ADDR": "127.0.0.1:0",
		"CARTBACK_REPLY_WINDOW": "90s", "CARTBACK_REPLY_GRACE": "0", "CARTBACK_SENDS_PER_SECOND": "500"}, false)
	runs := make([]starter.Run, carts)
	phones := make([]string, carts)
	posted := time.Now()
	for i := range carts {
		phones[i] = fmt.Sprintf("+5255350%05d", i)
		if code := s.api(t, http.MethodPost, "/v1/carts", cartJSON(fmt.Sprintf("cart-timer-%d", i), phones[i]), &runs[i]); code != http.StatusAccepted {
			t.Fatalf("cart %d: %d", i, code)
		}
	}
	// Every flow is waiting on its timer once its template is out.
	waitForSends(t, s.sandbox, phones, isTemplate, carts)
	if time.Since(posted) > 80*time.Second {
		t.Log("some timers may have fired before the restart: the machine is slow")
	}
	_, port, _ := net.SplitHostPort(s.temporal.FrontendAddress())
	if err := s.temporal.Stop(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // down for a while, as in a real restart
	restartTemporal(t, s, port)
	for i, run := range runs {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		var res workflows.Result
		err := s.client.GetWorkflow(ctx, run.WorkflowID, run.RunID).Get(ctx, &res)
		cancel()
		if err != nil || res.Outcome != workflows.OutcomeNoReply {
			t.Fatalf("cart %d after the restart: %+v (%v), want no_reply", i, res, err)
		}
	}
}

// post sends an authorised request (GET for /readyz) and returns its status and Retry-After.
func (s *devStack) post(t *testing.T, path, body string) (int, string) {
	t.Helper()
	method := http.MethodPost
	if body == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequest(method, s.baseURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.cfg.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}
