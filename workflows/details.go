package workflows

import (
	"fmt"
	"strings"
	"time"

	"github.com/cartback/cartback/money"
)

// detailItems bounds how many cart lines the Web UI's details list, so that a large cart keeps them short.
const detailItems = 10

// currentDetails is what the Web UI shows as a running flow's current details: its step, the cart's
// items and total. It holds no phone number and no name, and like every payload it goes through
// the payload codec.
func currentDetails(st State, c Cart) string {
	var b strings.Builder
	switch st.Step {
	case StepAwaitingReply:
		fmt.Fprintf(&b, "**Step:** awaiting the reply, until %s\n\n", st.ReplyDeadline.UTC().Format(time.RFC3339))
	case StepScheduled:
		fmt.Fprintf(&b, "**Step:** first message scheduled for %s (%s)\n\n", st.ScheduledAt.UTC().Format(time.RFC3339), st.ScheduledWhy)
	case StepDone:
		fmt.Fprintf(&b, "**Step:** done, %s\n\n", st.Outcome)
	default:
		fmt.Fprintf(&b, "**Step:** %s\n\n", strings.ReplaceAll(string(st.Step), "_", " "))
	}
	fmt.Fprintf(&b, "**Cart %s:** %s\n", c.ID, money.Format(c.TotalMinor, c.Currency))
	for i, it := range c.Items {
		if i == detailItems {
			fmt.Fprintf(&b, "- and %d more\n", len(c.Items)-detailItems)
			break
		}
		fmt.Fprintf(&b, "- %d × %s\n", it.Quantity, it.Name)
	}
	return b.String()
}
