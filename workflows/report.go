package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"
)

// ReportWorkflowName is the registered name of the workflow that delivers one flow's outcome
// report to the storefront (ReportOutcome).
const ReportWorkflowName = "OutcomeReport"

// ReportWorkflowIDPrefix starts the ID of every outcome report workflow: ReportWorkflowID.
const ReportWorkflowIDPrefix = "cart-report/"

// ReportWorkflowID is the ID of the report of the flow run runID: one report per run, whatever
// the customer does next.
func ReportWorkflowID(runID string) string { return ReportWorkflowIDPrefix + runID }

// reportChange hands the outcome report to a workflow of its own (ReportOutcome, a child the flow
// abandons) and completes once it has started, rather than retrying the report for up to 24 hours
// itself: meanwhile the customer's next cart was refused, and a purchase or cancel changed nothing.
const (
	reportChange  = "report-workflow"
	reportVersion = 1
)

// ReportOutcome delivers r to the storefront, retrying as the flow used to (reportOptions: up to
// 24 hours). The report is the same for every attempt (its event_id is the flow's run ID), so
// the storefront can dedupe. A report that failed for good fails this workflow, where operators
// see it; the flow's outcome stands.
func ReportOutcome(ctx workflow.Context, r OutcomeReport) error {
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, reportOptions), StopActivity, r).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("the outcome report failed", "cart_id", r.CartID, "outcome", r.Outcome, "error", err)
	}
	return err
}

// handOverReport starts the report's workflow so that it outlives the flow, and waits only for
// it to have started: a child not yet started when its parent completes would never run.
func handOverReport(ctx workflow.Context, r OutcomeReport) {
	// A context of its own that is never cancelled: cancelling the child's context (the flow's
	// cancel, or finish's deferred one) would cancel the report it abandons.
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            ReportWorkflowID(r.EventID),
		TaskQueue:             TaskQueue,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		// The Web UI's run list shows it; the cart id holds no personal data. No CartId search
		// attribute: the starter finds a cart's flow by it, and this is not the flow.
		StaticSummary: r.CartID,
	})
	child := workflow.ExecuteChildWorkflow(cctx, ReportWorkflowName, r)
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("could not start the outcome report", "cart_id", r.CartID, "error", err)
	}
}
