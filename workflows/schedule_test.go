package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"

	"github.com/cartback/cartback/phone"
)

// timedTemplates makes the harness record when each template went, besides what it asked.
func timedTemplates(h *harness) *[]time.Time {
	var at []time.Time
	h.env.OnActivity(SendTemplateActivity, mock.Anything, mock.Anything).Return(func(ctx context.Context, req TemplateRequest) (SendResult, error) {
		at = append(at, h.env.Now())
		return h.rec.SendTemplate(ctx, req)
	})
	return &at
}

func scheduledInput(delay time.Duration, quiet string, zones ...string) Input {
	in := testInput()
	in.Settings.SendDelay, in.Settings.QuietHours = Duration(delay), quiet
	in.Customer.TimeZones = zones
	in.Settings.ReplyWindow = time.Hour
	return in
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestACartAtNightWaitsForTheMorning: a cart at 23:30 in Mexico City, a one-hour delay and quiet
// hours 21:00-09:00: the template goes at 09:00 Mexico City time, and the state says why.
func TestACartAtNightWaitsForTheMorning(t *testing.T) {
	mx := mustZone(t, "America/Mexico_City")
	cartAt := time.Date(2026, 11, 24, 23, 30, 0, 0, mx)
	h := newHarness(t)
	h.env.SetStartTime(cartAt)
	sent := timedTemplates(h)
	var during State
	h.at(time.Hour, func() { during = h.state() })
	res := h.run(scheduledInput(time.Hour, "21:00-09:00", "America/Mexico_City"))
	h.expect(res, OutcomeNoReply, 0, 0)
	want := time.Date(2026, 11, 25, 9, 0, 0, 0, mx)
	if len(*sent) != 1 || !(*sent)[0].Equal(want) {
		t.Fatalf("templates at %v, want one at %v", *sent, want)
	}
	if during.Step != StepScheduled || !during.ScheduledAt.Equal(want) || during.ScheduledWhy != WhyQuietHours+"America/Mexico_City" || during.TemplateMessageID != "" {
		t.Fatalf("state during the wait %+v", during)
	}
}

// TestANumberInSeveralZones: libphonenumber places +62 811 in both Jakarta (UTC+7) and Makassar
// (UTC+8). At 08:30 in Jakarta (09:30 in Makassar) the send waits for 09:00 in Jakarta: allowed
// in both.
func TestANumberInSeveralZones(t *testing.T) {
	zones := phone.TimeZones("+62811234567")
	if len(zones) < 2 {
		t.Fatalf("libphonenumber gives %v: pick a number it places in several zones", zones)
	}
	jakarta := mustZone(t, "Asia/Jakarta")
	h := newHarness(t)
	h.env.SetStartTime(time.Date(2026, 11, 24, 8, 30, 0, 0, jakarta))
	sent := timedTemplates(h)
	in := scheduledInput(0, "21:00-09:00", zones...)
	in.Customer.Phone = "+62811234567"
	res := h.run(in)
	h.expect(res, OutcomeNoReply, 0, 0)
	if want := time.Date(2026, 11, 24, 9, 0, 0, 0, jakarta); len(*sent) != 1 || !(*sent)[0].Equal(want) {
		t.Fatalf("templates at %v, want one at %v (zones %v)", *sent, want, zones)
	}
}

// TestAPurchaseDuringTheDelaySendsNothing: the shopper buys (or is cancelled, or opts out) while
// the flow waits for its send: the flow ends with nothing sent.
func TestAPurchaseDuringTheDelaySendsNothing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		signal string
		value  any
		want   Outcome
	}{
		{"purchase", PurchasedSignal, Purchase{OrderID: "o-1"}, OutcomePurchased},
		{"opt-out", OptOutSignal, OptOut{Reason: "storefront"}, OutcomeOptedOut},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.signal(30*time.Minute, tc.signal, tc.value)
			res := h.run(scheduledInput(time.Hour, "off"))
			h.expect(res, tc.want, 0, 0)
			if len(h.rec.templates) != 0 {
				t.Fatalf("%d templates sent", len(h.rec.templates))
			}
			if got := h.rec.reports[0].At.Sub(start); got != 30*time.Minute {
				t.Fatalf("ended %v after the start, want at the signal", got)
			}
		})
	}
	t.Run("cancel", func(t *testing.T) {
		h := newHarness(t)
		h.at(30*time.Minute, h.env.CancelWorkflow)
		h.env.ExecuteWorkflow(CartRecovery, scheduledInput(time.Hour, "off"))
		var res Result
		if err := h.env.GetWorkflowResult(&res); err != nil || res.Outcome != OutcomeCancelled || len(h.rec.templates) != 0 {
			t.Fatalf("result %+v (%v), %d templates", res, err, len(h.rec.templates))
		}
	})
}

// TestTheDelayCountsFromTheCart: with no quiet hours the template goes the delay after the cart.
func TestTheDelayCountsFromTheCart(t *testing.T) {
	h := newHarness(t)
	sent := timedTemplates(h)
	res := h.run(scheduledInput(time.Hour, "off", "America/Mexico_City"))
	h.expect(res, OutcomeNoReply, 0, 0)
	if len(*sent) != 1 || !(*sent)[0].Equal(start.Add(time.Hour)) {
		t.Fatalf("templates at %v, want one an hour after the start", *sent)
	}
	if s := h.state(); s.ScheduledWhy != WhyDelay || !s.ScheduledAt.Equal(start.Add(time.Hour)) {
		t.Fatalf("state %+v", s)
	}
}

func TestPlanSend(t *testing.T) {
	tokyo, ny := mustZone(t, "Asia/Tokyo"), mustZone(t, "America/New_York")
	at := func(loc *time.Location, day, hour, minute int) time.Time {
		return time.Date(2026, 11, day, hour, minute, 0, 0, loc)
	}
	for _, tc := range []struct {
		name string
		req  SendPlanRequest
		want time.Time
		why  string
	}{
		{"at once", SendPlanRequest{Now: at(ny, 24, 12, 0), QuietHours: "21:00-09:00", TimeZones: []string{"America/New_York"}}, at(ny, 24, 12, 0), WhyAtOnce},
		{"quiet hours off", SendPlanRequest{Now: at(ny, 24, 23, 0), Delay: Duration(time.Hour), TimeZones: []string{"America/New_York"}}, at(ny, 25, 0, 0), WhyDelay},
		{"no zone known", SendPlanRequest{Now: at(ny, 24, 23, 0), QuietHours: "21:00-09:00"}, at(ny, 24, 23, 0), WhyAtOnce},
		{"quiet hours not spanning midnight", SendPlanRequest{Now: at(ny, 24, 13, 0), QuietHours: "12:00-14:00", TimeZones: []string{"America/New_York"}}, at(ny, 24, 14, 0), WhyQuietHours + "America/New_York"},
		// Allowed 09:00-18:00 in each: Tokyo's is 00:00-09:00 UTC, New York's 14:00-23:00 UTC.
		{"no shared hour: the first zone decides", SendPlanRequest{Now: at(tokyo, 24, 20, 0), QuietHours: "18:00-09:00", TimeZones: []string{"Asia/Tokyo", "America/New_York"}},
			at(tokyo, 25, 9, 0), WhyQuietHours + "Asia/Tokyo (the number's zones share no allowed hour: the first decides)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := PlanSend(context.Background(), tc.req)
			if err != nil || !plan.At.Equal(tc.want) || plan.Why != tc.why {
				t.Fatalf("plan %+v (%v), want %v because %q", plan, err, tc.want, tc.why)
			}
		})
	}
}

func TestParseQuietHours(t *testing.T) {
	if q, on, err := ParseQuietHours("21:00-09:00"); err != nil || !on || q != (QuietHours{Start: 21 * 60, End: 9 * 60}) {
		t.Fatalf("%+v %v %v", q, on, err)
	}
	for _, off := range []string{"", "off", "OFF"} {
		if _, on, err := ParseQuietHours(off); on || err != nil {
			t.Fatalf("%q: %v %v", off, on, err)
		}
	}
	for _, bad := range []string{"21-9", "21:00", "25:00-09:00", "09:00-09:00", "night"} {
		if _, _, err := ParseQuietHours(bad); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
}
