// Package worker runs the cart recovery workers: the workflow and the outcome reports on one task
// queue, the WhatsApp sends on another whose rate is capped for the whole deployment.
package worker

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/cartback/cartback/activities"
	"github.com/cartback/cartback/workflows"
)

// Worker is the pair of Temporal workers one process runs.
type Worker struct {
	flows sdkworker.Worker // workflow tasks and the outcome report
	sends sdkworker.Worker // Graph API sends
}

// New builds the workers on c. sendsPerSecond caps the sends across every worker polling the sends
// queue (TaskQueueActivitiesPerSecond is enforced by the server for the whole queue), so that the
// deployment stays within Meta's throughput for its number; outcome reports, on the other queue,
// are never slowed by it.
func New(c client.Client, a *activities.Activities, sendsPerSecond float64) *Worker {
	flows := sdkworker.New(c, workflows.TaskQueue, sdkworker.Options{})
	flows.RegisterWorkflowWithOptions(workflows.CartRecovery, workflow.RegisterOptions{Name: workflows.WorkflowName})
	flows.RegisterActivityWithOptions(a.Stop, activity.RegisterOptions{Name: workflows.StopActivity})
	flows.RegisterActivityWithOptions(a.RecordTemplate, activity.RegisterOptions{Name: workflows.RecordTemplateActivity})

	sends := sdkworker.New(c, workflows.SendsTaskQueue, sdkworker.Options{TaskQueueActivitiesPerSecond: sendsPerSecond})
	sends.RegisterActivityWithOptions(a.SendTemplate, activity.RegisterOptions{Name: workflows.SendTemplateActivity})
	sends.RegisterActivityWithOptions(a.SendReminder, activity.RegisterOptions{Name: workflows.SendReminderActivity})
	sends.RegisterActivityWithOptions(a.SendCoupon, activity.RegisterOptions{Name: workflows.SendCouponActivity})
	return &Worker{flows: flows, sends: sends}
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

// Stop stops both workers, letting running activities finish within the SDK's stop timeout.
func (w *Worker) Stop() {
	w.flows.Stop()
	w.sends.Stop()
}

// Run starts the workers and blocks until interrupt is closed or receives.
func (w *Worker) Run(interrupt <-chan any) error {
	if err := w.Start(); err != nil {
		return err
	}
	<-interrupt
	w.Stop()
	return nil
}
