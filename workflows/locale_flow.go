package workflows

import "go.temporal.io/sdk/workflow"

// localeChange sends the template of the shopper's locale and writes the follow-ups in its texts
// (Settings.Messages, with the shopper's name and Settings.CouponDiscount), rather than the
// worker's one template and English.
const localeChange = "locale-texts"

// clarifyChange answers the first unrecognised reply, once, with the locale's clarification
// ("Reply 1 or 2"); the flow goes on waiting to the end of the reply window.
const clarifyChange = "clarify-once"

// language is what a flow does in the shopper's language, by the versions it started under.
type language struct {
	localised bool // localeChange
	words     bool // replyWordsChange: yes and no words understood
	clarify   bool // clarifyChange
	clarified bool // the clarification was sent, or is on its way
}

// newLanguage reads the versions of the flow's language changes. Called once, at the start.
func newLanguage(ctx workflow.Context) language {
	return language{
		localised: workflow.GetVersion(ctx, localeChange, workflow.DefaultVersion, 1) >= 1,
		words:     workflow.GetVersion(ctx, replyWordsChange, workflow.DefaultVersion, 1) >= 1,
		clarify:   workflow.GetVersion(ctx, clarifyChange, workflow.DefaultVersion, 1) >= 1,
	}
}

// classify reads a reply by the flow's version.
func (f *flow) classify(r Reply) ReplyClass {
	if f.lang.words {
		return classifyWords(r, f.in.Cart.ID)
	}
	return classifyReply(r, f.in.Cart.ID, f.consent)
}

// templateRequest asks the question with the locale's template, under localeChange.
func (f *flow) templateRequest(ctx workflow.Context) TemplateRequest {
	req := TemplateRequest{CallbackData: f.callback(ctx, StepTemplate), CartID: f.in.Cart.ID, Customer: f.in.Customer}
	if m := f.in.Settings.Messages; f.lang.localised && m != nil {
		req.TemplateName, req.TemplateLanguage = m.TemplateName, m.TemplateLanguage
	}
	return req
}

// reminderRequest sends the cart, in the locale's words under localeChange.
func (f *flow) reminderRequest(ctx workflow.Context) ReminderRequest {
	req := ReminderRequest{CallbackData: f.callback(ctx, StepFollowUp), Phone: f.followUpPhone(), Cart: f.in.Cart}
	if f.lang.localised {
		req.Name, req.Messages = f.in.Customer.Name, f.in.Settings.Messages
	}
	return req
}

// couponRequest sends the code, in the locale's words and with the discount under localeChange.
func (f *flow) couponRequest(ctx workflow.Context) CouponRequest {
	req := CouponRequest{CallbackData: f.callback(ctx, StepFollowUp), Phone: f.followUpPhone(), CartURL: f.in.Cart.URL,
		CouponCode: f.couponCode(ctx)}
	if f.lang.localised {
		req.Name, req.Discount, req.Messages = f.in.Customer.Name, f.in.Settings.CouponDiscount, f.in.Settings.Messages
	}
	return req
}

// clarifyOnce answers r, the flow's first unrecognised reply, with the clarification, under
// clarifyChange; later ones get nothing. The send runs beside the wait, which it does not end: a
// reply that decides the branch, or an end of the flow, cancels it if it is still being retried.
func (f *flow) clarifyOnce(ctx workflow.Context, r Reply) {
	if !f.lang.clarify || f.lang.clarified || f.interrupt != nil {
		return
	}
	f.lang.clarified = true
	to := f.in.Customer.Phone
	if f.toReplier && r.From != "" {
		to = "+" + r.From
	}
	req := ClarificationRequest{CallbackData: f.callback(ctx, StepClarification), Phone: to, Name: f.in.Customer.Name,
		Messages: f.in.Settings.Messages}
	workflow.Go(ctx, func(ctx workflow.Context) {
		actx, cancel := workflow.WithCancel(workflow.WithActivityOptions(ctx, templateOptions))
		defer cancel()
		fut := workflow.ExecuteActivity(actx, SendClarificationActivity, req)
		if workflow.Await(ctx, func() bool { return fut.IsReady() || f.state.Reply != nil || f.interrupt != nil }) != nil || !fut.IsReady() {
			return
		}
		var sent SendResult
		if err := fut.Get(ctx, &sent); err != nil {
			workflow.GetLogger(ctx).Warn("the clarification was not sent", "error", err)
			return
		}
		f.state.ClarificationMessageID = sent.MessageID
	})
}
