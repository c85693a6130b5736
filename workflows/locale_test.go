package workflows

import (
	"testing"
	"time"
)

// TestClassifyWords: per language, the replies that answer the question, and the ones that must
// stay unrecognised (and get the clarification) rather than be guessed.
func TestClassifyWords(t *testing.T) {
	const cart = "c_8f3a"
	for lang, tc := range map[string]struct{ positive, negative, unrecognised []string }{
		"digits and letters": {
			positive:     []string{"1", " 1 ", "1.", "1️⃣", "a", "A)", "(A)"},
			negative:     []string{"2", "2!", "2️⃣", "b", "B."},
			unrecognised: []string{"12", "3", "1 2", "c", "", "   ", "🙂"},
		},
		"en": {
			positive:     []string{"yes", "Yes!", "YES", "yeah", "Yep.", "sure", "Yes please", "I still want it"},
			negative:     []string{"no", "No.", "NO!!", "nope", "No thanks", "no thank you"},
			unrecognised: []string{"yes but later", "no idea", "maybe", "what is this?", "2 pairs"},
		},
		"es": {
			positive:     []string{"si", "sí", "Sí!", "SI", "¡Sí!", "sí 😊", "Claro", "sí quiero", "Lo quiero"},
			negative:     []string{"no", "No gracias", "no, gracias", "ya no", "Ya no lo quiero"},
			unrecognised: []string{"2 pares", "no sé", "No se", "ya no sé", "quizás", "¿cuánto cuesta?", "si pero luego"},
		},
		"pt": {
			positive:     []string{"sim", "Sim!", "SIM", "quero", "Ainda quero", "claro que sim"},
			negative:     []string{"não", "nao", "NÃO", "Não, obrigado", "não obrigada", "agora não", "não quero"},
			unrecognised: []string{"não sei", "talvez", "2 pares", "sim mas depois"},
		},
		"id": {
			positive:     []string{"ya", "Ya!", "iya", "Iya mau", "mau", "masih mau"},
			negative:     []string{"tidak", "Tidak.", "nggak", "gak", "ga", "enggak", "tdk", "tidak mau", "gak jadi"},
			unrecognised: []string{"tidak tahu", "nanti", "berapa harganya?", "ya nanti", "2 pasang"},
		},
	} {
		check := func(texts []string, want ReplyClass) {
			for _, text := range texts {
				if got := classifyWords(Reply{Kind: "text", Text: text}, cart); got != want {
					t.Errorf("%s: %q is %s, want %s", lang, text, got, want)
				}
			}
		}
		check(tc.positive, ReplyPositive)
		check(tc.negative, ReplyNegative)
		check(tc.unrecognised, ReplyUnrecognised)
	}
	// Buttons and stops read as before.
	for _, tc := range []struct {
		r    Reply
		want ReplyClass
	}{
		{Reply{Kind: "button", Text: "No", Payload: PositivePayload(cart)}, ReplyPositive},
		{Reply{Kind: "button", Text: "sí", Payload: NegativePayload(cart)}, ReplyNegative},
		{Reply{Kind: "button", Text: "1", Payload: PositivePayload("another")}, ReplyUnrecognised},
		{Reply{Kind: "text", Text: "BAJA"}, ReplyStop},
		{Reply{Kind: "text", Text: "berhenti"}, ReplyStop},
	} {
		if got := classifyWords(tc.r, cart); got != tc.want {
			t.Errorf("%+v is %s, want %s", tc.r, got, tc.want)
		}
	}
}

// TestWordsAreNotStopWordsNorBoth: no word answers both ways, or both answers and stops.
func TestWordsAreNotStopWordsNorBoth(t *testing.T) {
	for w := range yesKeywords {
		if noKeywords[w] || stopKeywords[w] || startKeywords[w] {
			t.Errorf("%q is a yes word and another kind", w)
		}
	}
	for w := range noKeywords {
		if stopKeywords[w] || startKeywords[w] {
			t.Errorf("%q is a no word and a stop or start word", w)
		}
	}
}

// TestFlowsBeforeReplyWordsClassifyAsBefore: the classifier of older flows still ignores words.
func TestFlowsBeforeReplyWordsClassifyAsBefore(t *testing.T) {
	for _, text := range []string{"sí", "yes", "tidak", "não"} {
		if got := classifyReply(Reply{Kind: "text", Text: text}, "c1", true); got != ReplyUnrecognised {
			t.Errorf("without reply-words, %q is %s", text, got)
		}
	}
}

func spanish() *Messages {
	return &Messages{Locale: "es", TemplateLanguage: "es_MX", Reminder: "¡Qué bien! {{.Items}} {{.Total}} {{.Link}}",
		MoreItems: "…y {{.Count}} más", Coupon: "Código {{.Code}}: {{.Discount}}", Clarification: "Responde 1 o 2."}
}

// TestSpanishYesGetsTheSpanishReminder: the locale's template goes out, "sí" decides, and the
// reminder carries the Spanish texts and the shopper's name.
func TestSpanishYesGetsTheSpanishReminder(t *testing.T) {
	h := newHarness(t)
	in := testInput()
	in.Settings.Messages = spanish()
	h.reply(time.Hour, Reply{MessageID: "wamid.si", Kind: "text", Text: "¡Sí!"})
	h.expect(h.run(in), OutcomeReminderSent, 1, 0)
	if tpl := h.rec.templates[0]; tpl.TemplateLanguage != "es_MX" {
		t.Errorf("template request %+v, want es_MX", tpl)
	}
	if rem := h.rec.reminders[0]; rem.Messages == nil || rem.Messages.Locale != "es" || rem.Name != "Sheena Nelson" {
		t.Errorf("reminder request %+v, want the es messages and the name", rem)
	}
	if len(h.rec.clarified) != 0 {
		t.Errorf("clarified %+v after a recognised reply", h.rec.clarified)
	}
}

// TestIndonesianNoGetsTheIndonesianCoupon: "tidak" sends the coupon with the discount and texts.
func TestIndonesianNoGetsTheIndonesianCoupon(t *testing.T) {
	h := newHarness(t)
	in := testInput()
	in.Settings.CouponDiscount = "15%"
	in.Settings.Messages = &Messages{Locale: "id", TemplateLanguage: "id", Coupon: "Pakai kode {{.Code}} untuk diskon {{.Discount}}"}
	h.reply(time.Hour, Reply{MessageID: "wamid.tidak", Kind: "text", Text: "Tidak."})
	h.expect(h.run(in), OutcomeCouponSent, 0, 1)
	if c := h.rec.coupons[0]; c.Messages == nil || c.Messages.Locale != "id" || c.Discount != "15%" || c.CouponCode != "SAVE10" {
		t.Errorf("coupon request %+v, want the id messages and 15%%", c)
	}
}

// TestTwoUnrecognisedRepliesGetOneClarification: the first one is answered in the shopper's
// language, the second gets nothing, and the flow waits to the end of its window.
func TestTwoUnrecognisedRepliesGetOneClarification(t *testing.T) {
	h := newHarness(t)
	in := testInput()
	in.Settings.Messages = spanish()
	h.reply(time.Hour, Reply{MessageID: "wamid.u1", Kind: "text", Text: "2 pares", From: "16505551234"})
	h.reply(2*time.Hour, Reply{MessageID: "wamid.u2", Kind: "text", Text: "no sé"})
	res := h.run(in)
	h.expect(res, OutcomeNoReply, 0, 0)
	if got := h.rec.reports[0].At.Sub(start); got != 24*time.Hour {
		t.Errorf("ended %v after the start, want the whole window", got)
	}
	if len(h.rec.clarified) != 1 {
		t.Fatalf("clarifications %+v, want one", h.rec.clarified)
	}
	c := h.rec.clarified[0]
	if c.Messages == nil || c.Messages.Locale != "es" || c.Phone != "+16505551234" || c.CallbackData != CallbackData(testWorkflowID, StepClarification) {
		t.Errorf("clarification request %+v", c)
	}
	if s := h.state(); len(s.UnrecognisedReplies) != 2 || s.ClarificationMessageID != "wamid.clarification" {
		t.Errorf("state %+v", s)
	}
}

// TestUnrecognisedThenYesGetsTheClarificationAndTheReminder: a clarified shopper who then answers
// gets the reminder.
func TestUnrecognisedThenYesGetsTheClarificationAndTheReminder(t *testing.T) {
	h := newHarness(t)
	h.reply(time.Hour, Reply{MessageID: "wamid.u1", Kind: "text", Text: "what?"})
	h.reply(2*time.Hour, Reply{MessageID: "wamid.y", Kind: "text", Text: "yes"})
	h.expect(h.run(testInput()), OutcomeReminderSent, 1, 0)
	if len(h.rec.clarified) != 1 || h.rec.clarified[0].Messages != nil {
		t.Errorf("clarifications %+v, want one with the default texts (no messages in the input)", h.rec.clarified)
	}
}

// TestOnlyAnOpenQuestionIsClarified: a message while the template waits for its time (no question
// asked yet), and one sent after the reply deadline (during the grace), get no clarification.
func TestOnlyAnOpenQuestionIsClarified(t *testing.T) {
	in := scheduledInput(time.Hour, "off")
	in.Settings.ReplyGrace = Duration(15 * time.Minute)
	deadline := time.Hour + in.Settings.ReplyWindow // the template goes after the hour's delay
	for name, r := range map[string]struct {
		d time.Duration
		r Reply
	}{
		"during the delay":   {10 * time.Minute, Reply{MessageID: "wamid.early", Kind: "text", Text: "hola?", At: start.Add(10 * time.Minute)}},
		"after the deadline": {deadline + 5*time.Minute, Reply{MessageID: "wamid.late", Kind: "text", Text: "que?", At: start.Add(deadline + time.Minute)}},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			h.reply(r.d, r.r)
			h.expect(h.run(in), OutcomeNoReply, 0, 0)
			if len(h.rec.clarified) != 0 {
				t.Errorf("clarified: %+v; state %+v", h.rec.clarified, h.state())
			}
		})
	}
}
