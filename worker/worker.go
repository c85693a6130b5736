// Package worker runs the cart recovery workers: the workflow and the outcome reports on one task
// queue, the WhatsApp sends on another whose rate is capped for the whole deployment.
package worker

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/cartback/cartback/activities"
	"github.com/cartback/cartback/workflows"
)

// StopTimeout is how long a stopping worker lets the activities in flight finish: longer than a
// send's StartToCloseTimeout (30 s), so that a send at the Graph API when SIGTERM lands has its
// answer recorded instead of being sent again after the restart. Deployments give the process
// longer than this to stop (docker-compose's stop_grace_period).
const StopTimeout = 35 * time.Second

// Worker is the pair of Temporal workers one process runs.
type Worker struct {
	flows  sdkworker.Worker // workflow tasks (the flows and their outcome reports) and the report's activity
	sends  sdkworker.Worker // Graph API sends
	failed chan error       // the first error a worker stopped on for good
}

// New builds the workers on c. sendsPerSecond caps the sends across every worker polling the sends
// queue (TaskQueueActivitiesPerSecond is enforced by the server for the whole queue), so that the
// deployment stays within Meta's throughput for its number; outcome reports, on the other queue,
// are never slowed by it.
func New(c client.Client, a *activities.Activities, sendsPerSecond float64) *Worker {
	w := &Worker{failed: make(chan error, 2)}
	// The SDK stops a worker by itself on an error it will not retry (a deleted namespace, say);
	// Failed lets the process notice and exit instead of living on without polling.
	fatal := func(err error) { w.failed <- err }
	flows := sdkworker.New(c, workflows.TaskQueue, sdkworker.Options{WorkerStopTimeout: StopTimeout, OnFatalError: fatal})
	flows.RegisterWorkflowWithOptions(workflows.CartRecovery, workflow.RegisterOptions{Name: workflows.WorkflowName})
	flows.RegisterWorkflowWithOptions(workflows.ReportOutcome, workflow.RegisterOptions{Name: workflows.ReportWorkflowName})
	flows.RegisterActivityWithOptions(a.Stop, activity.RegisterOptions{Name: workflows.StopActivity})
	flows.RegisterActivityWithOptions(a.RecordTemplate, activity.RegisterOptions{Name: workflows.RecordTemplateActivity})
	flows.RegisterActivityWithOptions(a.IssueCoupon, activity.RegisterOptions{Name: workflows.IssueCouponActivity})

	sends := sdkworker.New(c, workflows.SendsTaskQueue, sdkworker.Options{TaskQueueActivitiesPerSecond: sendsPerSecond,
		WorkerStopTimeout: StopTimeout, OnFatalError: fatal})
	sends.RegisterActivityWithOptions(a.SendTemplate, activity.RegisterOptions{Name: workflows.SendTemplateActivity})
	sends.RegisterActivityWithOptions(a.SendReminder, activity.RegisterOptions{Name: workflows.SendReminderActivity})
	sends.RegisterActivityWithOptions(a.SendCoupon, activity.RegisterOptions{Name: workflows.SendCouponActivity})
	sends.RegisterActivityWithOptions(a.SendClarification, activity.RegisterOptions{Name: workflows.SendClarificationActivity})
	w.flows, w.sends = flows, sends
	return w
}

// Start starts polling both task queues.
func (w *Worker) Start() error {
	if err := w.sends.Start(); err != nil {
		return err
	}
	if err := w.flows.Start(); err != nil {
		w.sends.Stop()
		return err
	}
	return nil
}

// Failed receives the error a started worker stopped on by itself.
func (w *Worker) Failed() <-chan error { return w.failed }

// Stop stops both workers, each letting its activities in flight finish within StopTimeout.
func (w *Worker) Stop() {
	var wg sync.WaitGroup
	for _, sw := range []sdkworker.Worker{w.flows, w.sends} {
		wg.Go(sw.Stop)
	}
	wg.Wait()
}

// Run starts the workers and runs them until ctx ends (nil) or one of them fails for good: then
// both stop and that error is returned.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.Start(); err != nil {
		return err
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-w.failed:
	}
	w.Stop()
	return err
}
