package starter

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/cartback/cartback/workflows"
)

// found is a cart's flow and whether it is still open.
type found struct {
	Run
	Status enumspb.WorkflowExecutionStatus
}

func (f found) running() bool { return f.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING }

// find returns the flow of a cart: its open run if it has one, else its latest. The workflow ID is
// per customer, so a cart is found by its CartId search attribute. Visibility is eventually
// consistent: a run this process just started is found from memory first. Errors: ErrNotFound,
// ErrUnavailable.
func (s *Starter) find(ctx context.Context, cartID string) (found, error) {
	if v := (&ValidationError{}); v.cartID(cartID) != cartID || len(v.Fields) > 0 {
		// Not an id Start would accept (and not safe to put in a query): no flow has it.
		return found{}, ErrNotFound
	}
	if r, ok := s.recent.get(cartID); ok {
		d, err := s.c.DescribeWorkflowExecution(ctx, r.WorkflowID, r.RunID)
		switch {
		case err == nil:
			return found{Run: r, Status: d.GetWorkflowExecutionInfo().GetStatus()}, nil
		case !isNotFound(err):
			return found{}, temporalError(err)
		}
		s.recent.remove(cartID) // gone from Temporal (retention): visibility decides
	}
	resp, err := s.c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query:    fmt.Sprintf("%s = '%s'", workflows.CartIDAttribute.GetName(), cartID),
		PageSize: 20,
	})
	if err != nil {
		return found{}, temporalError(err)
	}
	var best found
	var bestStart int64
	for _, e := range resp.GetExecutions() {
		f := found{
			Run:    Run{CartID: cartID, WorkflowID: e.GetExecution().GetWorkflowId(), RunID: e.GetExecution().GetRunId()},
			Status: e.GetStatus(),
		}
		start := e.GetStartTime().AsTime().UnixNano()
		if best.RunID == "" || f.running() && !best.running() || f.running() == best.running() && start > bestStart {
			best, bestStart = f, start
		}
	}
	if best.RunID == "" || !strings.HasPrefix(best.WorkflowID, workflows.WorkflowIDPrefix) {
		return found{}, ErrNotFound
	}
	return best, nil
}

// recentRunsSize bounds the memory of recent starts: enough for the burst between a start and
// visibility catching up (well under a second), small enough to never matter.
const recentRunsSize = 1024

// recentRuns remembers the runs this process started or found recently, oldest evicted first.
type recentRuns struct {
	mu    sync.Mutex
	max   int
	runs  map[string]Run
	order []string
}

func newRecentRuns(max int) *recentRuns {
	return &recentRuns{max: max, runs: map[string]Run{}}
}

func (r *recentRuns) add(run Run) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.runs[run.CartID]; !ok {
		r.order = append(r.order, run.CartID)
	}
	r.runs[run.CartID] = run
	for len(r.order) > r.max {
		delete(r.runs, r.order[0])
		r.order = r.order[1:]
	}
}

func (r *recentRuns) get(cartID string) (Run, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	run, ok := r.runs[cartID]
	return run, ok
}

func (r *recentRuns) remove(cartID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.runs, cartID)
	r.order = slices.DeleteFunc(r.order, func(id string) bool { return id == cartID })
}
