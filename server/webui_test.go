package server

import (
	"context"
	"strings"
	"testing"

	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/converter"

	"github.com/cartback/cartback/phone"
	"github.com/cartback/cartback/workflows"
)

// workflowMetadataQuery is the built-in query through which the Web UI reads a run's current details.
const workflowMetadataQuery = "__temporal_workflow_metadata"

// TestWebUIShowsTheCartNotTheCustomer checks what an operator sees of a run in the Web UI: its summary
// is the cart id, its current details the step, items and total; neither holds the phone or the name.
func TestWebUIShowsTheCartNotTheCustomer(t *testing.T) {
	e := startFlowEnv(t)
	const cartID, number = "c_ui_1", "+525512345678"
	started := e.start(t, cartID, number)
	e.sent(t, number, 1)
	e.until(t, cartID, func(_ string, st workflows.State) bool { return st.Step == workflows.StepAwaitingReply })

	ctx := context.Background()
	desc, err := e.client.DescribeWorkflowExecution(ctx, started.WorkflowID, started.RunID)
	if err != nil {
		t.Fatal(err)
	}
	var summary string
	if err := converter.GetDefaultDataConverter().FromPayload(desc.GetExecutionConfig().GetUserMetadata().GetSummary(), &summary); err != nil {
		t.Fatal(err)
	}
	if summary != cartID {
		t.Fatalf("summary %q, want the cart id %q", summary, cartID)
	}

	v, err := e.client.QueryWorkflow(ctx, started.WorkflowID, started.RunID, workflowMetadataQuery)
	if err != nil {
		t.Fatal(err)
	}
	var md sdkpb.WorkflowMetadata
	if err := v.Get(&md); err != nil {
		t.Fatal(err)
	}
	details := md.GetCurrentDetails()
	for _, want := range []string{"awaiting the reply", "Cart " + cartID, "Blue Trail Running Shoes"} {
		if !strings.Contains(details, want) {
			t.Errorf("current details %q lack %q", details, want)
		}
	}
	for _, secret := range []string{number, strings.TrimPrefix(number, "+"), number[len(number)-8:], "Sheena", "Nelson", phone.Mask(number)} {
		if strings.Contains(details, secret) || strings.Contains(summary, secret) {
			t.Errorf("the Web UI shows %q: summary %q, details %q", secret, summary, details)
		}
	}
}
