package worker_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/cartback/cartback/worker"
	"github.com/cartback/cartback/workflows"
)

// TestAFailingReportDoesNotHoldTheCustomer: the storefront refuses outcome reports. The flow still
// completes at its outcome, the customer's next cart starts at once (as the starter starts it: a
// second run is refused while one is open), and the first cart's report is delivered once the
// storefront is back: the same body every attempt, signed, with the first run's id as event_id.
func TestAFailingReportDoesNotHoldTheCustomer(t *testing.T) {
	var mu sync.Mutex
	down := true
	var refused [][]byte
	s := newStackWithoutWorker(t, stackOptions{wrapStorefront: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			isDown := down
			if isDown {
				refused = append(refused, body)
			}
			mu.Unlock()
			if isDown {
				http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(w, r)
		})
	}})
	w := worker.New(s.client, s.acts, 60)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	const phone = "+5255330099001"
	first := s.start(t, "cart-first", phone, time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var res workflows.Result
	if err := first.Get(ctx, &res); err != nil || res.Outcome != workflows.OutcomeNoReply {
		t.Fatalf("first flow: %+v, %v", res, err)
	}
	if _, ok := s.report("cart-first"); ok {
		t.Fatal("the storefront is down, yet it has the report")
	}

	in := workflows.Input{
		Cart:     workflows.Cart{ID: "cart-next", Currency: "EUR", TotalMinor: 100, URL: "https://shop.example.com/c/cart-next", Items: []workflows.Item{{Name: "Socks", Quantity: 1, UnitPriceMinor: 100}}},
		Customer: workflows.Customer{Phone: phone, Name: "Ana Lima", OptIn: workflows.OptIn{At: time.Now().Add(-time.Hour), Source: "checkout"}},
		Settings: workflows.Settings{ReplyWindow: time.Hour, CouponCode: "SAVE10"},
	}
	next, err := s.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: first.GetID(), TaskQueue: workflows.TaskQueue,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    temporal.NewSearchAttributes(workflows.CartIDAttribute.ValueSet("cart-next")),
	}, workflows.WorkflowName, in)
	if err != nil {
		t.Fatalf("the next cart did not start while the first one's report was failing: %v", err)
	}
	if tpl := s.sends(t, phone, 2)[1]; tpl.Template == nil || tpl.CallbackData != workflows.CallbackData(next.GetID(), workflows.StepTemplate) {
		t.Fatalf("second send %+v: want the next cart's template", tpl)
	}
	mu.Lock()
	down = false
	mu.Unlock()

	rep, ok := s.awaitReport(t, "cart-first", 30*time.Second)
	if !ok || rep.EventID != first.GetRunID() || rep.Outcome != string(workflows.OutcomeNoReply) {
		t.Fatalf("storefront got %+v (%v), want the first run's no_reply", rep, ok)
	}
	mu.Lock()
	attempts := refused
	mu.Unlock()
	if len(attempts) == 0 {
		t.Fatal("no report attempt was refused: the test proved nothing")
	}
	for _, body := range attempts[1:] {
		if !bytes.Equal(body, attempts[0]) {
			t.Fatalf("report attempts differ:\n%s\n%s", attempts[0], body)
		}
	}
	// The report's workflow records the delivery and completes.
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := s.client.DescribeWorkflowExecution(ctx, workflows.ReportWorkflowID(first.GetRunID()), "")
		if err != nil {
			t.Fatal(err)
		}
		st := d.GetWorkflowExecutionInfo().GetStatus()
		if st == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the report's workflow is %s", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
