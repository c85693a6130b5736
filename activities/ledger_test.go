package activities

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/cartback/cartback/workflows"
)

// testRunID is the run the SDK's activity test environment runs activities in.
const testRunID = "default-test-run-id"

// The template's record notes the template on its run's ledger row, beside the frequency cap.
func TestRecordTemplateOnTheLedger(t *testing.T) {
	_, env, db := setupWithStore(t, nil)
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if _, err := env.ExecuteActivity(workflows.RecordTemplateActivity, workflows.TemplateRecord{Phone: shopper, MessageID: "wamid.1", At: at}); err != nil {
		t.Fatal(err)
	}
	row, ok, err := db.FlowRun(context.Background(), testRunID)
	if err != nil || !ok || !row.TemplateAt.Equal(at) || row.CustomerKey != customerKey {
		t.Fatalf("ledger row %+v %v %v, want the template at %v for the customer", row, ok, err, at)
	}
}

// The outcome reaches the ledger before the storefront, which may refuse it for good.
func TestStopRecordsTheOutcomeBeforeTheStorefront(t *testing.T) {
	sf := &storefront{answer: errors.New("storefront answered 503")}
	_, env, db := setupWithStore(t, sf)
	at := time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC)
	report := workflows.OutcomeReport{EventID: "run-1", CartID: "c_8f3a", Outcome: workflows.OutcomeCouponSent, At: at, CouponCode: "SAVE10"}
	if _, err := env.ExecuteActivity(workflows.StopActivity, report); err == nil {
		t.Fatal("the storefront's 503 did not fail the report")
	}
	row, ok, err := db.FlowRun(context.Background(), "run-1")
	if err != nil || !ok || row.Outcome != "coupon_sent" || row.CouponCode != "SAVE10" || row.CartID != "c_8f3a" || !row.EndedAt.Equal(at) {
		t.Fatalf("ledger row %+v %v %v, want the coupon_sent outcome", row, ok, err)
	}
}

// A store that is down is an outage: the report is retried, and the storefront hears nothing yet.
func TestStopRetriesWhileTheLedgerIsDown(t *testing.T) {
	sf := &storefront{}
	_, env, db := setupWithStore(t, sf)
	db.Close()
	report := workflows.OutcomeReport{EventID: "run-1", CartID: "c_8f3a", Outcome: workflows.OutcomeNoReply, At: time.Now()}
	_, err := env.ExecuteActivity(workflows.StopActivity, report)
	var appErr *temporal.ApplicationError
	if err == nil || (errors.As(err, &appErr) && appErr.NonRetryable()) {
		t.Fatalf("a closed store must fail the attempt, retryably: %v", err)
	}
	if len(sf.got) != 0 {
		t.Fatalf("the storefront got %+v before the ledger", sf.got)
	}
	if _, err := env.ExecuteActivity(workflows.RecordTemplateActivity, workflows.TemplateRecord{Phone: shopper, At: time.Now()}); err == nil {
		t.Fatal("the template's record passed with the store down")
	}
}
