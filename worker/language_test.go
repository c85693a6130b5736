package worker_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/cartback/cartback/messages"
	"github.com/cartback/cartback/workflows"
)

// TestTheShoppersLanguageOnARealServer: the locale's template and texts chosen at start go out
// through the real worker: a Spanish "sí" gets the Spanish reminder; an Indonesian shopper's
// unrecognised reply gets one clarification in Indonesian, a second nothing, and "tidak" the
// coupon in Indonesian with the deployment's discount.
func TestTheShoppersLanguageOnARealServer(t *testing.T) {
	s := newStack(t)
	file := messages.Default()
	input := func(cartID, phone, locale, currency string) workflows.Input {
		m := file.For(locale, phone)
		return workflows.Input{
			Cart: workflows.Cart{ID: cartID, Currency: currency, TotalMinor: 259800, URL: "https://shop.example.com/c/" + cartID,
				Items: []workflows.Item{{Name: "Tenis azules", Quantity: 2, UnitPriceMinor: 129900}}},
			Customer: workflows.Customer{Phone: phone, Name: "Ana Lima", Locale: locale,
				OptIn: workflows.OptIn{At: time.Now().Add(-time.Hour), Source: "checkout"}},
			Settings: workflows.Settings{ReplyWindow: time.Hour, CouponCode: "SAVE10", CouponDiscount: "15%", Messages: &m},
		}
	}
	finish := func(t *testing.T, run client.WorkflowRun, want workflows.Outcome) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var res workflows.Result
		if err := run.Get(ctx, &res); err != nil || res.Outcome != want {
			t.Fatalf("result %+v (%v), want %s", res, err, want)
		}
	}

	t.Run("es", func(t *testing.T) {
		t.Parallel()
		phone := "+525533001001"
		run := s.startInput(t, input("cart-es", phone, "es_MX", "MXN"))
		if tpl := s.sends(t, phone, 1)[0].Template; tpl == nil || tpl.Name != "cart_check_in" || tpl.Language != "es_MX" {
			t.Fatalf("template %+v, want cart_check_in in es_MX", tpl)
		}
		s.awaitTemplateRecorded(t, run)
		s.signal(t, run, workflows.ReplySignal, workflows.Reply{MessageID: "wamid.si", Kind: "text", Text: "Sí!"})
		finish(t, run, workflows.OutcomeReminderSent)
		msgs := s.graph.MessagesTo(phone)
		if len(msgs) != 2 || msgs[1].Text == nil || !strings.Contains(msgs[1].Text.Body, "Tu carrito te está esperando") ||
			!strings.Contains(msgs[1].Text.Body, "• 2 × Tenis azules: $2,598.00") {
			t.Fatalf("sends %+v, want the template and the Spanish reminder", msgs)
		}
	})
	t.Run("id", func(t *testing.T) {
		t.Parallel()
		phone := "+6281234567890"
		run := s.startInput(t, input("cart-id", phone, "", "IDR"))
		if tpl := s.sends(t, phone, 1)[0].Template; tpl == nil || tpl.Language != "id" {
			t.Fatalf("template %+v, want the Indonesian one (from the number)", tpl)
		}
		s.awaitTemplateRecorded(t, run)
		s.signal(t, run, workflows.ReplySignal, workflows.Reply{MessageID: "wamid.u1", Kind: "text", Text: "berapa ongkirnya?"})
		if c := s.sends(t, phone, 2)[1]; c.Text == nil || !strings.HasPrefix(c.Text.Body, "Maaf, kami belum paham. Balas 1") ||
			c.CallbackData != workflows.CallbackData(run.GetID(), workflows.StepClarification) {
			t.Fatalf("second send %+v, want the Indonesian clarification", c)
		}
		s.signal(t, run, workflows.ReplySignal, workflows.Reply{MessageID: "wamid.u2", Kind: "text", Text: "hmm"})
		s.signal(t, run, workflows.ReplySignal, workflows.Reply{MessageID: "wamid.tidak", Kind: "text", Text: "Tidak"})
		finish(t, run, workflows.OutcomeCouponSent)
		msgs := s.graph.MessagesTo(phone)
		if len(msgs) != 3 || msgs[2].Text == nil || !strings.Contains(msgs[2].Text.Body, "Pakai kode SAVE10 untuk diskon 15%") {
			t.Fatalf("sends %+v, want the template, one clarification and the Indonesian coupon", msgs)
		}
		if st := s.state(t, run); st.ClarificationMessageID != msgs[1].ID || len(st.UnrecognisedReplies) != 2 {
			t.Fatalf("state %+v", st)
		}
	})
}
