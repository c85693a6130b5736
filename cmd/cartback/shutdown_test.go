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

	"github.com/cartback/cartback/worker"
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
