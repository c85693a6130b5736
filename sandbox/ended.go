package sandbox

import "github.com/cartback/cartback/workflows"

// endedTemplates tells, for each entry, whether it is a template whose flow has moved on, as far as
// the sandbox can see: a tap on its buttons would change nothing. That is so once
//
//   - we sent anything after it: the follow-up (the branch was decided) or a newer template (a
//     tap on an older conversation's template is ignored);
//   - our webhook accepted the shopper's tap on one of its buttons;
//   - our webhook accepted a typed reply that the flow's classifier reads as an answer or a STOP.
//
// A flow that ends unseen (a purchase, a cancel, silence) leaves its template's buttons on; a tap
// then reaches no flow, as it would on WhatsApp.
func endedTemplates(entries []Entry) []bool {
	ended := make([]bool, len(entries))
	var open []int // templates not ended yet
	endAll := func() {
		for _, i := range open {
			ended[i] = true
		}
		open = open[:0]
	}
	for i, e := range entries {
		switch {
		case e.Direction == DirectionOut:
			endAll()
			if e.Kind == KindTemplate {
				open = append(open, i)
			}
		case e.Status != StatusAccepted:
			// Our server did not take it (or has not yet): the flow has not heard it.
		case e.Kind == KindButton:
			for j, t := range open {
				if entries[t].MessageID == e.ContextID {
					ended[t] = true
					open = append(open[:j], open[j+1:]...)
					break
				}
			}
		case e.Kind == KindText:
			// A typed reply names no cart: the classifier reads it alone.
			if workflows.ClassifyReply(workflows.Reply{Kind: e.Kind, Text: e.Text}, "") != workflows.ReplyUnrecognised {
				endAll()
			}
		}
	}
	return ended
}

// statusLabel is e's status as the page words it. The shopper's messages are not delivered to
// anyone's phone: what matters is whether our webhook took them.
func statusLabel(e Entry) string {
	if e.Direction == DirectionIn {
		switch e.Status {
		case "":
			return "sending to cartback"
		case StatusAccepted:
			return "accepted by cartback"
		case StatusFailed:
			return "not accepted by cartback"
		}
	}
	return e.Status
}
