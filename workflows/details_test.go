package workflows

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCurrentDetails(t *testing.T) {
	c := Cart{ID: "c_1", Currency: "MXN", TotalMinor: 129998, Items: []Item{{Name: "Tenis azules", Quantity: 2, UnitPriceMinor: 64999}}}
	deadline := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		st   State
		want string
	}{
		{State{Step: StepScheduled, ScheduledAt: deadline, ScheduledWhy: WhyQuietHours + "America/Mexico_City"}, "**Step:** first message scheduled for 2026-12-02T09:00:00Z (quiet hours in America/Mexico_City)\n\n**Cart c_1:** 1299.98 MXN\n- 2 × Tenis azules\n"},
		{State{Step: StepSendingTemplate}, "**Step:** sending template\n\n**Cart c_1:** 1299.98 MXN\n- 2 × Tenis azules\n"},
		{State{Step: StepAwaitingReply, ReplyDeadline: deadline}, "**Step:** awaiting the reply, until 2026-12-02T09:00:00Z\n\n**Cart c_1:** 1299.98 MXN\n- 2 × Tenis azules\n"},
		{State{Step: StepDone, Outcome: OutcomeCouponSent}, "**Step:** done, coupon_sent\n\n**Cart c_1:** 1299.98 MXN\n- 2 × Tenis azules\n"},
	} {
		if got := currentDetails(tc.st, c); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.st.Step, got, tc.want)
		}
	}
}

func TestCurrentDetailsListAtMostTenItems(t *testing.T) {
	c := Cart{ID: "c_big", Currency: "USD"}
	for i := range 25 {
		c.Items = append(c.Items, Item{Name: fmt.Sprintf("item %d", i), Quantity: 1})
	}
	got := currentDetails(State{Step: StepAwaitingReply}, c)
	if strings.Count(got, "\n- ") != detailItems+1 || !strings.Contains(got, "- and 15 more\n") || strings.Contains(got, "item 10") {
		t.Fatalf("details of a 25-item cart:\n%s", got)
	}
}
