package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/cartback/cartback/activities"
	"github.com/cartback/cartback/events"
	"github.com/cartback/cartback/internal/teststore"
	"github.com/cartback/cartback/internal/testtemporal"
	"github.com/cartback/cartback/whatsapp"
	"github.com/cartback/cartback/whatsapp/fakegraph"
	"github.com/cartback/cartback/worker"
	"github.com/cartback/cartback/workflows"
)

// recordHistories names the environment variable that makes TestEveryBranchOnARealServer write each
// branch's history to workflows/testdata/<its value>/, for the replay tests. After a versioned
// change to the workflow, record a new generation (v2, v3, …) and commit it; never overwrite an
// older one, which stands for the flows already running.
const recordHistories = "CARTBACK_RECORD_HISTORIES"

const (
	phoneNumberID = "106540352242922"
	graphToken    = "graph-token"
	eventsSecret  = "events-secret"
)

var idKey = []byte("worker test id key, 32 bytes....")

// stack is a real Temporal server, our worker, a fake Graph API and a storefront that verifies
// and records outcome events.
type stack struct {
	client client.Client
	ns     string
	graph  *fakegraph.Server
	acts   *activities.Activities // what a worker of this stack runs

	mu      sync.Mutex
	reports map[string]events.Event // by cart id
}

func newStack(t *testing.T) *stack {
	s := newStackWithoutWorker(t, stackOptions{})
	w := worker.New(s.client, s.acts, 60)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return s
}

// stackOptions change the fake Graph API of newStackWithoutWorker.
type stackOptions struct {
	onSend    func(fakegraph.Message)         // the fake's OnMessage
	wrapGraph func(http.Handler) http.Handler // stands in front of the fake: network faults
	// wrapStorefront stands in front of the storefront receiving outcome reports.
	wrapStorefront func(http.Handler) http.Handler
}

// newStackWithoutWorker is newStack whose test runs the workers.
func newStackWithoutWorker(t *testing.T, opts stackOptions) *stack {
	c, ns := testtemporal.Start(t)
	graph := fakegraph.New(fakegraph.Options{PhoneNumberID: phoneNumberID, Token: graphToken, OnMessage: opts.onSend})
	var h http.Handler = graph
	if opts.wrapGraph != nil {
		h = opts.wrapGraph(graph)
	}
	graphSrv := httptest.NewServer(h)
	t.Cleanup(graphSrv.Close)
	s := &stack{client: c, ns: ns, graph: graph, reports: map[string]events.Event{}}

	var receiver http.Handler = http.HandlerFunc(s.receiveEvent)
	if opts.wrapStorefront != nil {
		receiver = opts.wrapStorefront(receiver)
	}
	storefront := httptest.NewServer(receiver)
	t.Cleanup(storefront.Close)

	wa, err := whatsapp.NewClient(whatsapp.Config{BaseURL: graphSrv.URL, Version: "v23.0", PhoneNumberID: phoneNumberID, Token: graphToken})
	if err != nil {
		t.Fatal(err)
	}
	acts := &activities.Activities{
		WhatsApp:         wa,
		Consent:          teststore.Open(t),
		IDKey:            idKey,
		Reporter:         &events.Reporter{URL: storefront.URL, Secret: []byte(eventsSecret)},
		TemplateName:     "cart_check_in",
		TemplateLanguage: "en_US",
		Proofs:           worker.HistoryProofs{Client: c},
	}
	s.acts = acts
	return s
}

func (s *stack) receiveEvent(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := events.Verify([]byte(eventsSecret), r.Header.Get(events.SignatureHeader), body, time.Now(), time.Minute); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var e events.Event
	if err := json.Unmarshal(body, &e); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.reports[e.CartID] = e
	s.mu.Unlock()
}

func (s *stack) report(cartID string) (events.Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.reports[cartID]
	return e, ok
}

// awaitReport waits for the storefront to have received the outcome report of cartID: the flow
// hands its report to a workflow of its own and completes, so the report may come after.
func (s *stack) awaitReport(t *testing.T, cartID string, within time.Duration) (events.Event, bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if e, ok := s.report(cartID); ok || time.Now().After(deadline) {
			return e, ok
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// start starts a flow the way the starter does: per-customer ID, cart id searchable.
func (s *stack) start(t *testing.T, cartID, phone string, window time.Duration) client.WorkflowRun {
	t.Helper()
	in := workflows.Input{
		Cart: workflows.Cart{ID: cartID, Currency: "EUR", TotalMinor: 4990, URL: "https://shop.example.com/c/" + cartID,
			Items: []workflows.Item{{Name: "Rain jacket", Quantity: 1, UnitPriceMinor: 4990}}},
		Customer: workflows.Customer{Phone: phone, Name: "Ana Lima", OptIn: workflows.OptIn{At: time.Now().Add(-time.Hour), Source: "checkout"}},
		Settings: workflows.Settings{ReplyWindow: window, CouponCode: "SAVE10"},
	}
	return s.startInput(t, in)
}

// startInput starts a flow with input in, as the starter does.
func (s *stack) startInput(t *testing.T, in workflows.Input) client.WorkflowRun {
	t.Helper()
	cartID, phone := in.Cart.ID, in.Customer.Phone
	run, err := s.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID:                    workflows.WorkflowID(idKey, phone),
		TaskQueue:             workflows.TaskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.CartIDAttribute.ValueSet(cartID)),
		Memo:                  map[string]any{workflows.MemoCartID: cartID},
	}, workflows.WorkflowName, in)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// sends waits until phone has received n messages and returns them.
func (s *stack) sends(t *testing.T, phone string, n int) []fakegraph.Message {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		msgs := s.graph.MessagesTo(phone)
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s received %d messages, want %d", phone, len(msgs), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *stack) signal(t *testing.T, run client.WorkflowRun, name string, payload any) {
	t.Helper()
	if err := s.client.SignalWorkflow(context.Background(), run.GetID(), "", name, payload); err != nil {
		t.Fatal(err)
	}
}

// TestEveryBranchOnARealServer runs each branch of the flow end to end: the real server, the real
// worker and activities, the Graph API faked at HTTP level. The 24-hour branch runs with a
// one-second window (the workflow takes the window from its input).
func TestEveryBranchOnARealServer(t *testing.T) {
	s := newStack(t)
	for i, tc := range []struct {
		name      string
		window    time.Duration
		converse  func(t *testing.T, run client.WorkflowRun, template fakegraph.Message)
		want      workflows.Outcome
		followUps int
	}{
		{"reminder", time.Hour, func(t *testing.T, run client.WorkflowRun, _ fakegraph.Message) {
			// Meta delivers at least once: the same reply three times.
			for range 3 {
				s.signal(t, run, workflows.ReplySignal, workflows.Reply{MessageID: "wamid.reply-1", Kind: "text", Text: "1"})
			}
		}, workflows.OutcomeReminderSent, 1},
		{"coupon", time.Hour, func(t *testing.T, run client.WorkflowRun, tpl fakegraph.Message) {
			s.signal(t, run, workflows.ReplySignal, workflows.Reply{MessageID: "wamid.reply-2", Kind: "button", Text: "2 - Something stopped me", Payload: tpl.Template.QuickReplies[workflows.NegativeButtonIndex]})
		}, workflows.OutcomeCouponSent, 1},
		{"no_reply", time.Second, func(*testing.T, client.WorkflowRun, fakegraph.Message) {}, workflows.OutcomeNoReply, 0},
		{"purchased", time.Hour, func(t *testing.T, run client.WorkflowRun, _ fakegraph.Message) {
			s.signal(t, run, workflows.PurchasedSignal, workflows.Purchase{OrderID: "o-1"})
		}, workflows.OutcomePurchased, 0},
		{"undeliverable", time.Hour, func(t *testing.T, run client.WorkflowRun, tpl fakegraph.Message) {
			s.signal(t, run, workflows.StatusSignal, workflows.Status{MessageID: tpl.ID, Status: "failed", Errors: []workflows.StatusError{{Code: 131026}}})
		}, workflows.OutcomeUndeliverable, 0},
		{"opted_out", time.Hour, func(t *testing.T, run client.WorkflowRun, _ fakegraph.Message) {
			s.signal(t, run, workflows.ReplySignal, workflows.Reply{MessageID: "wamid.stop", Kind: "text", Text: "STOP"})
		}, workflows.OutcomeOptedOut, 0},
		{"stop_button", time.Hour, func(t *testing.T, run client.WorkflowRun, tpl fakegraph.Message) {
			s.signal(t, run, workflows.ReplySignal, workflows.Reply{MessageID: "wamid.stop-button", Kind: "button", Text: "Stop promotions", Payload: tpl.Template.QuickReplies[workflows.StopButtonIndex]})
		}, workflows.OutcomeOptedOut, 0},
		{"opt_out_signal", time.Hour, func(t *testing.T, run client.WorkflowRun, _ fakegraph.Message) {
			s.signal(t, run, workflows.OptOutSignal, workflows.OptOut{Reason: "user_preferences"})
		}, workflows.OutcomeOptedOut, 0},
		{"cancelled", time.Hour, func(t *testing.T, run client.WorkflowRun, _ fakegraph.Message) {
			if err := s.client.CancelWorkflow(context.Background(), run.GetID(), ""); err != nil {
				t.Fatal(err)
			}
		}, workflows.OutcomeCancelled, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			phone := fmt.Sprintf("+52553300%04d", i)
			cartID := "cart-" + tc.name
			run := s.start(t, cartID, phone, tc.window)

			tpl := s.sends(t, phone, 1)[0]
			if tpl.Template == nil || tpl.CallbackData != workflows.CallbackData(run.GetID(), workflows.StepTemplate) || tpl.Template.BodyParams[0] != "Ana" {
				t.Fatalf("first send %+v: want the template, with the workflow ID and its step as callback data", tpl)
			}
			s.awaitTemplateRecorded(t, run)
			tc.converse(t, run, tpl)

			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var res workflows.Result
			if err := run.Get(ctx, &res); err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tc.want {
				t.Fatalf("outcome %+v, want %s", res, tc.want)
			}
			if got := len(s.graph.MessagesTo(phone)) - 1; got != tc.followUps {
				t.Fatalf("%d follow-ups sent, want %d", got, tc.followUps)
			}
			if rep, ok := s.awaitReport(t, cartID, 10*time.Second); !ok || rep.Outcome != string(tc.want) || rep.EventID != run.GetRunID() {
				t.Fatalf("storefront got %+v (%v), want outcome %s", rep, ok, tc.want)
			}
			s.checkState(t, run, tc.want)
			s.checkSearchable(t, cartID, tc.want)
			if gen := os.Getenv(recordHistories); gen != "" {
				s.saveHistory(t, run, gen, tc.name)
			}
		})
	}
}

func (s *stack) state(t *testing.T, run client.WorkflowRun) workflows.State {
	t.Helper()
	v, err := s.client.QueryWorkflow(context.Background(), run.GetID(), run.GetRunID(), workflows.StateQuery)
	if err != nil {
		t.Fatal(err)
	}
	var st workflows.State
	if err := v.Get(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// awaitTemplateRecorded waits until the flow has recorded the template's send: from then on a
// cancel or a status finds the flow waiting for the reply.
func (s *stack) awaitTemplateRecorded(t *testing.T, run client.WorkflowRun) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for s.state(t, run).TemplateMessageID == "" {
		if time.Now().After(deadline) {
			t.Fatal("the flow did not record the template's send")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *stack) checkState(t *testing.T, run client.WorkflowRun, want workflows.Outcome) {
	t.Helper()
	st := s.state(t, run)
	if st.Outcome != want || st.Step != workflows.StepDone || st.TemplateMessageID == "" {
		t.Fatalf("state %+v", st)
	}
}

// checkSearchable finds the run by its cart id and outcome, as an operator does in the Web UI.
func (s *stack) checkSearchable(t *testing.T, cartID string, outcome workflows.Outcome) {
	t.Helper()
	query := fmt.Sprintf("%s = %q AND %s = %q", workflows.CartIDAttribute.GetName(), cartID, workflows.OutcomeAttribute.GetName(), outcome)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := s.client.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Namespace: s.ns, Query: query})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetExecutions()) == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q found %d runs, want 1", query, len(resp.GetExecutions()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *stack) saveHistory(t *testing.T, run client.WorkflowRun, generation, branch string) {
	t.Helper()
	data := testtemporal.HistoryJSON(t, context.Background(), s.client, run.GetID(), run.GetRunID())
	dir := filepath.Join("..", "workflows", "testdata", generation)
	if _, err := os.Stat(filepath.Join(dir, branch+".json")); err == nil {
		t.Fatalf("%s already holds %s: record a new generation (or delete the one this change made)", dir, branch)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, branch+".json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}
