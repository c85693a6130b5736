//go:build !nodev

package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/cartback/cartback/starter"
	"github.com/cartback/cartback/worker"
	"github.com/cartback/cartback/workflows"
)

// TestDevStopsWithoutA500: SIGTERM (stop) while 30 storefront posts are in flight and 20 more are
// still sending their bodies: every request is answered 202 or 503, never 500 (the Temporal
// client used to close before the HTTP server drained), and the stack stops in bounded time.
func TestDevStopsWithoutA500(t *testing.T) {
	s := startTestStack(t, t.TempDir(), false)
	const plain, slow = 30, 20
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
		failures []string
	)
	answered := func(code int, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failures = append(failures, err.Error())
			return
		}
		statuses[code]++
	}
	slowSent := make(chan struct{}, slow)
	finishBodies := make(chan struct{})
	for i := range plain + slow {
		body := cartJSON(fmt.Sprintf("cart-stop-%d", i), fmt.Sprintf("+52553302%04d", i))
		wg.Go(func() {
			if i < plain {
				answered(postOnce(s, body, nil, nil))
				return
			}
			answered(postOnce(s, body, slowSent, finishBodies))
		})
	}
	for range slow {
		<-slowSent // headers and half of each slow body are in
	}
	began := time.Now()
	stopped := make(chan error)
	go func() { stopped <- s.stop() }()
	time.Sleep(200 * time.Millisecond)
	close(finishBodies)
	wg.Wait()
	if err := <-stopped; err != nil {
		t.Errorf("stop: %v", err)
	}
	if took, bound := time.Since(began), shutdownGrace+worker.StopTimeout+10*time.Second; took > bound {
		t.Errorf("stopping took %v, over %v", took, bound)
	}
	if len(failures) > 0 {
		t.Errorf("%d requests got no answer: %v", len(failures), failures[0])
	}
	for code, n := range statuses {
		if code != http.StatusAccepted && code != http.StatusServiceUnavailable {
			t.Errorf("%d requests answered %d", n, code)
		}
	}
	t.Logf("answers: %v", statuses)
}

// postOnce posts a cart over its own connection. With sent set it writes half the body, says so
// on sent, and writes the rest once finish is closed: a storefront on a slow link.
func postOnce(s *devStack, body string, sent chan<- struct{}, finish <-chan struct{}) (int, error) {
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.baseURL, "http://"))
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	head := fmt.Sprintf("POST /v1/carts HTTP/1.1\r\nHost: cartback\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
		s.cfg.APIKey, len(body))
	half := len(body) / 2
	if sent == nil {
		half = len(body)
	}
	if _, err := io.WriteString(conn, head+body[:half]); err != nil {
		return 0, err
	}
	if sent != nil {
		sent <- struct{}{}
		<-finish
		if _, err := io.WriteString(conn, body[half:]); err != nil {
			return 0, err
		}
	}
	_ = conn.SetReadDeadline(time.Now().Add(time.Minute))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestDevAnswers503WhileStarting: from the moment its port opens until its routes exist, the
// dev stack answers 503 with Retry-After (it used to answer 404 for about a second).
func TestDevAnswers503WhileStarting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	started := make(chan *devStack)
	go func() { started <- startTestStackOn(t, t.TempDir(), addr, false) }()

	seen := map[int]int{}
	var stack *devStack
	for stack == nil {
		select {
		case stack = <-started:
			continue
		default:
		}
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			time.Sleep(5 * time.Millisecond) // not listening yet
			continue
		}
		resp.Body.Close()
		seen[resp.StatusCode]++
		if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
			t.Error("a 503 without Retry-After")
		}
	}
	if code := stack.api(t, http.MethodGet, "/v1/carts/cart-1", "", nil); code != http.StatusNotFound {
		t.Errorf("once started, an unknown cart: %d, want 404", code)
	}
	for code, n := range seen {
		if code != http.StatusServiceUnavailable && code != http.StatusOK { // 200 once the routes exist
			t.Errorf("while starting, %d answers %d, want 503", n, code)
		}
	}
	if seen[http.StatusServiceUnavailable] == 0 {
		t.Error("no answer while starting: the test proved nothing")
	}
	t.Logf("answers while starting: %v", seen)
}

// TestDevStopLetsSendsInFlightFinish: SIGTERM (stop) while 20 templates are at a Graph API that
// answers 3 s after it accepted them. The worker waits for the sends (worker.StopTimeout) while
// the sandbox, on the same listener, still answers them: every send's activity completes before
// the stack stops, and after a restart on the same data directory no template goes out again.
func TestDevStopLetsSendsInFlightFinish(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"CARTBACK_DATA_DIR": dir, "CARTBACK_HTTP_ADDR": "127.0.0.1:0"}
	first := startTestStackWithOptions(t, vars, false, devOptions{graphAnswerDelay: 3 * time.Second})
	const carts = 20
	phones := make([]string, carts)
	runs := make([]starter.Run, carts)
	for i := range carts {
		phones[i] = fmt.Sprintf("+52553303%04d", i)
		cartID := fmt.Sprintf("cart-inflight-%d", i)
		if code := first.api(t, http.MethodPost, "/v1/carts", cartJSON(cartID, phones[i]), &runs[i]); code != http.StatusAccepted {
			t.Fatalf("POST %s: %d", cartID, code)
		}
	}
	for _, p := range phones {
		first.await(t, p, isTemplate) // recorded by the Graph API, its answer held back
	}
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}

	second := startTestStack(t, dir, false)
	for i, run := range runs {
		// A workflow task the stopping worker had taken holds the send's result back until it times
		// out: the flow reaches its wait once the new worker has it.
		second.awaitStep(t, fmt.Sprintf("cart-inflight-%d", i), workflows.StepAwaitingReply)
		if done := sendActivityEnds(t, second.client, run, workflows.SendTemplateActivity); done != enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED {
			t.Errorf("cart %d: the template's send ended %v, want completed before the stop:\n%s", i, done, sendStory(t, second.client, run, second.sandbox.Conversation(phones[i])))
		}
	}
	// A send abandoned at the stop would be retried once its 30 s attempt timed out: give it that.
	deadline := time.Now().Add(40 * time.Second)
	for _, p := range phones {
		for time.Now().Before(deadline) && countSends(second.sandbox, p, isTemplate) < 2 {
			time.Sleep(100 * time.Millisecond)
		}
		if n := countSends(second.sandbox, p, isTemplate); n != 1 {
			t.Errorf("%s got %d templates", p, n)
		}
	}
}

// awaitStep waits up to a minute for the cart's flow to reach step.
func (s *devStack) awaitStep(t *testing.T, cartID string, step workflows.Step) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var got struct {
			State workflows.State `json:"state"`
		}
		code := s.api(t, http.MethodGet, "/v1/carts/"+cartID, "", &got)
		if code == http.StatusOK && got.State.Step == step {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d, step %q, want %q", cartID, code, got.State.Step, step)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sendActivityEnds returns the event that ended run's first activity of type activity (0 while
// none has ended).
func sendActivityEnds(t *testing.T, c client.Client, run starter.Run, activity string) enumspb.EventType {
	t.Helper()
	scheduled := int64(0)
	it := c.GetWorkflowHistory(t.Context(), run.WorkflowID, run.RunID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == activity && scheduled == 0 {
			scheduled = ev.GetEventId()
		}
		var of int64
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			of = ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
			of = ev.GetActivityTaskFailedEventAttributes().GetScheduledEventId()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
			of = ev.GetActivityTaskTimedOutEventAttributes().GetScheduledEventId()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
			of = ev.GetActivityTaskCanceledEventAttributes().GetScheduledEventId()
		}
		if of != 0 && of == scheduled {
			return ev.GetEventType()
		}
	}
	return 0
}
