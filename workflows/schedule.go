package workflows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	// The zone database is built in, so that a worker without the system's (a scratch image) plans
	// sends as every other does.
	_ "time/tzdata"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// scheduleChange waits before the template: the settings' send delay (most shoppers come back on
// their own), then until the shopper's quiet hours are over. A purchase, cancel or opt-out
// meanwhile ends the flow with nothing sent. The state shows when and why (ScheduledAt, ScheduledWhy).
const (
	scheduleChange  = "send-schedule"
	scheduleVersion = 1
)

// StepScheduled is the step of a flow waiting for its template's scheduled send.
const StepScheduled Step = "scheduled"

// Why a template's send was scheduled when it was (State.ScheduledWhy).
const (
	WhyAtOnce     = "at once"
	WhyDelay      = "send delay"
	WhyQuietHours = "quiet hours in "
)

// QuietHours is a daily span of local time in which no template is sent, "21:00-09:00": start and
// end as minutes after midnight; a start after the end spans midnight.
type QuietHours struct{ Start, End int }

// ParseQuietHours reads "HH:MM-HH:MM" (24-hour clock); "off" and "" are no quiet hours (ok false).
func ParseQuietHours(s string) (q QuietHours, ok bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "off") {
		return QuietHours{}, false, nil
	}
	from, to, found := strings.Cut(s, "-")
	start, err1 := clockMinutes(from)
	end, err2 := clockMinutes(to)
	if !found || err1 != nil || err2 != nil || start == end {
		return QuietHours{}, false, fmt.Errorf("quiet hours must be HH:MM-HH:MM with two different times, such as 21:00-09:00, or off: %q", s)
	}
	return QuietHours{Start: start, End: end}, true, nil
}

func clockMinutes(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

// quiet reports whether the local time t falls in q.
func (q QuietHours) quiet(t time.Time) bool {
	m := t.Hour()*60 + t.Minute()
	if q.Start < q.End {
		return m >= q.Start && m < q.End
	}
	return m >= q.Start || m < q.End
}

// nextEnd is the first end of q after t, in t's location.
func (q QuietHours) nextEnd(t time.Time) time.Time {
	end := time.Date(t.Year(), t.Month(), t.Day(), q.End/60, q.End%60, 0, 0, t.Location())
	if !end.After(t) {
		end = time.Date(t.Year(), t.Month(), t.Day()+1, q.End/60, q.End%60, 0, 0, t.Location())
	}
	return end
}

// SendPlanRequest is what PlanSend decides from: every value comes from the flow's input and clock.
type SendPlanRequest struct {
	Now        time.Time `json:"now"`
	Delay      Duration  `json:"delay"`
	QuietHours string    `json:"quiet_hours,omitempty"`
	TimeZones  []string  `json:"time_zones,omitempty"`
}

// SendPlan is when the template may go, and why then.
type SendPlan struct {
	At  time.Time `json:"at"`
	Why string    `json:"why"`
}

// PlanSend is a local activity: time zone rules are read from the system's database, which may
// differ between workers and change over time, so the plan is recorded in the flow's history
// rather than computed in workflow code. The send waits for the delay, then until the time is
// out of the quiet hours in every zone of the shopper; when the zones share no allowed hour the
// first zone decides.
func PlanSend(_ context.Context, req SendPlanRequest) (SendPlan, error) {
	at, why := req.Now.Add(time.Duration(req.Delay)), WhyDelay
	if req.Delay <= 0 {
		why = WhyAtOnce
	}
	q, on, err := ParseQuietHours(req.QuietHours)
	if err != nil {
		return SendPlan{}, temporal.NewNonRetryableApplicationError(err.Error(), "BadQuietHours", err)
	}
	var zones []*time.Location
	for _, name := range req.TimeZones {
		if loc, err := time.LoadLocation(name); err == nil && name != "" && name != "Local" {
			zones = append(zones, loc)
		}
	}
	if !on || len(zones) == 0 {
		return SendPlan{At: at, Why: why}, nil
	}
	if t, zone, ok := allowedInAll(q, zones, at); ok {
		if zone != "" {
			why = WhyQuietHours + zone
		}
		return SendPlan{At: t, Why: why}, nil
	}
	if t, zone, _ := allowedInAll(q, zones[:1], at); zone != "" {
		return SendPlan{At: t, Why: WhyQuietHours + zone + " (the number's zones share no allowed hour: the first decides)"}, nil
	}
	return SendPlan{At: at, Why: why}, nil
}

// allowedInAll is the first time from t outside q in every zone, and the last zone that moved it
// ("" if none did); ok is false when there is none within two days (the zones share no allowed
// hour).
func allowedInAll(q QuietHours, zones []*time.Location, t time.Time) (time.Time, string, bool) {
	limit, moved := t.Add(48*time.Hour), ""
	for !t.After(limit) {
		changed := false
		for _, loc := range zones {
			if local := t.In(loc); q.quiet(local) {
				t, moved, changed = q.nextEnd(local).UTC(), loc.String(), true
			}
		}
		if !changed {
			return t, moved, true
		}
	}
	return time.Time{}, "", false
}

// planOptions bound the plan's local activity.
var planOptions = workflow.LocalActivityOptions{
	ScheduleToCloseTimeout: time.Minute,
	RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 10 * time.Second},
}

// awaitSchedule waits, under scheduleChange, until the template may be sent: planned from now,
// and planned again from a repost that replaced the cart meanwhile (repostChange). It returns nil
// when the template may go, else how the flow ends: an event that ended it meanwhile, or a cancel.
func (f *flow) awaitSchedule(ctx workflow.Context) *Result {
	if workflow.GetVersion(ctx, scheduleChange, workflow.DefaultVersion, scheduleVersion) < scheduleVersion {
		return nil
	}
	f.repostable = workflow.GetVersion(ctx, repostChange, workflow.DefaultVersion, repostVersion) >= repostVersion
	f.setStep(ctx, StepScheduled)
	for {
		f.reposted = false
		plan, r := f.planSend(ctx)
		if r != nil {
			return r
		}
		f.state.ScheduledAt, f.state.ScheduledWhy = plan.At, plan.Why
		f.setStep(ctx, StepScheduled)
		if wait := plan.At.Sub(workflow.Now(ctx)); wait > 0 {
			if _, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return f.interrupt != nil || f.reposted }); err != nil {
				r := cancelled()
				return &r
			}
		}
		if f.interrupt != nil || !f.reposted {
			return f.interrupt
		}
	}
}

// planSend plans the template's send from now: at once when there is neither delay nor quiet
// hours, else by PlanSend.
func (f *flow) planSend(ctx workflow.Context) (SendPlan, *Result) {
	s := f.in.Settings
	plan := SendPlan{At: workflow.Now(ctx), Why: WhyAtOnce}
	if _, on, _ := ParseQuietHours(s.QuietHours); s.SendDelay <= 0 && !on {
		return plan, nil
	}
	req := SendPlanRequest{Now: workflow.Now(ctx), Delay: s.SendDelay, QuietHours: s.QuietHours, TimeZones: f.in.Customer.TimeZones}
	if err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, planOptions), PlanSend, req).Get(ctx, &plan); err != nil {
		var canceled *temporal.CanceledError
		if errors.As(err, &canceled) || ctx.Err() != nil {
			r := cancelled()
			return plan, &r
		}
		return plan, &Result{Outcome: OutcomeFailed, Reason: "planning the send: " + err.Error()}
	}
	return plan, nil
}
