package server

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/cartback/cartback/workflows"
)

// bsuidReply is a message that names its sender by business-scoped user id only, as Meta sends a
// username user's message.
func bsuidReply(t *testing.T, userID, id, text string) []byte {
	m := textMessage("", id, text)
	delete(m, "from")
	m["from_user_id"] = userID
	v := messages(m)
	v["contacts"] = []any{map[string]any{"profile": map[string]any{"name": "Sheena", "username": "@sheena"}, "user_id": userID}}
	return payload(t, change(testPhoneNumberID, v))
}

// sentStatus is the template's "sent" status naming the recipient by number and BSUID.
func sentStatus(t *testing.T, wamid, waID, userID string) []byte {
	v := statuses(map[string]any{"id": wamid, "status": "sent", "timestamp": "1749416301", "recipient_id": waID, "recipient_user_id": userID})
	v["contacts"] = []any{map[string]any{"wa_id": waID, "user_id": userID}}
	return payload(t, change(testPhoneNumberID, v))
}

func systemMessage(t *testing.T, from, fromUserID, id string, system map[string]any) []byte {
	m := map[string]any{"id": id, "timestamp": "1749417000", "type": "system", "system": system}
	if from != "" {
		m["from"] = from
	}
	if fromUserID != "" {
		m["from_user_id"] = fromUserID
	}
	return payload(t, change(testPhoneNumberID, messages(m)))
}

// TestIdentities: business-scoped user ids and number changes, on the real Temporal server.
func TestIdentities(t *testing.T) {
	e := startFlowEnv(t)

	t.Run("a BSUID-only reply after the template's status paired it", func(t *testing.T) {
		t.Parallel()
		const phone, waID, bsuid = "+52 55 2000 0001", "5215520000001", "MX.20000000000000000001"
		e.start(t, "bsuid-only", phone)
		template := e.sent(t, phone, 1)[0]
		e.hook(t, sentStatus(t, template.ID, waID, bsuid))
		e.hook(t, bsuidReply(t, bsuid, "wamid.bsuid-only.1", "2"))
		if st := e.outcome(t, "bsuid-only"); st.Outcome != workflows.OutcomeCouponSent {
			t.Errorf("outcome %q, want coupon_sent", st.Outcome)
		}
		// The follow-up goes to the customer's number, the one the pair was recorded with.
		e.sent(t, phone, 2)
	})

	t.Run("an unknown BSUID is acknowledged, nothing sent", func(t *testing.T) {
		t.Parallel()
		const phone = "+52 55 2000 0002"
		e.start(t, "bsuid-unknown", phone)
		e.sent(t, phone, 1)
		e.hook(t, bsuidReply(t, "MX.20000000000000000099", "wamid.bsuid-unknown.1", "1"))
		time.Sleep(time.Second) // nothing must happen: give it the chance to
		if st := e.outcome0(t, "bsuid-unknown"); st.Reply != nil {
			t.Errorf("the flow took a stranger's reply: %+v", st.Reply)
		}
		e.sent(t, phone, 1)
	})

	t.Run("user_changed_user_id, then a BSUID-only reply", func(t *testing.T) {
		t.Parallel()
		const phone, waID = "+52 55 2000 0003", "5215520000003"
		const before, after = "MX.20000000000000000003", "MX.30000000000000000003"
		e.start(t, "bsuid-changed", phone)
		template := e.sent(t, phone, 1)[0]
		e.hook(t, sentStatus(t, template.ID, waID, before))
		e.hook(t, systemMessage(t, "", after, "wamid.system.uid.3", map[string]any{
			"type": "user_changed_user_id", "body": "changed", "user_id": after, "previous_user_id": before}))
		e.hook(t, bsuidReply(t, after, "wamid.bsuid-changed.1", "1"))
		if st := e.outcome(t, "bsuid-changed"); st.Outcome != workflows.OutcomeReminderSent {
			t.Errorf("outcome %q, want reminder_sent", st.Outcome)
		}
	})

	t.Run("user_changed_number ends the old number's flow", func(t *testing.T) {
		t.Parallel()
		const phone, waID, newWaID = "+52 55 2000 0004", "5215520000004", "5215520000044"
		e.start(t, "number-changed", phone)
		e.sent(t, phone, 1)
		e.hook(t, systemMessage(t, waID, "", "wamid.system.num.4", map[string]any{
			"type": "user_changed_number", "body": "User changed number", "wa_id": newWaID, "user_id": "MX.40000000000000000044"}))
		st := e.outcome(t, "number-changed")
		if st.Outcome != workflows.OutcomeCancelled || st.Reason != workflows.ReasonNumberChanged {
			t.Errorf("outcome %q %q, want cancelled number_changed", st.Outcome, st.Reason)
		}
		e.sent(t, phone, 1)
	})

	t.Run("user_changed_number carries a suppression to the new number", func(t *testing.T) {
		t.Parallel()
		const waID, newWaID = "5215520000005", "5215520000055"
		e.hook(t, reply(t, waID, "wamid.stop.5", "STOP"))
		e.hook(t, systemMessage(t, waID, "", "wamid.system.num.5", map[string]any{
			"type": "user_changed_number", "body": "User changed number", "wa_id": newWaID}))
		sup, ok, err := e.store.Suppressed(context.Background(), workflows.CustomerKey(testIDKey, newWaID))
		if err != nil || !ok || sup.Reason != "keyword" {
			t.Fatalf("new number: %+v %v %v, want suppressed as the old one was", sup, ok, err)
		}
		e.refused(t, e.server, "number-changed-suppressed", "+52 55 2000 0055", http.StatusUnprocessableEntity, "suppressed")
	})

	t.Run("a group message is not a customer's reply", func(t *testing.T) {
		t.Parallel()
		const phone, waID = "+52 55 2000 0006", "5215520000006"
		e.start(t, "group", phone)
		e.sent(t, phone, 1)
		m := textMessage(waID, "wamid.group.6", "1")
		m["group_id"] = "Y2FydGJhY2stZ3JvdXAtNg"
		e.hook(t, payload(t, change(testPhoneNumberID, messages(m))))
		e.hook(t, reply(t, waID, "wamid.after-group.6", "2"))
		if st := e.outcome(t, "group"); st.Outcome != workflows.OutcomeCouponSent {
			t.Errorf("outcome %q, want coupon_sent: the group's \"1\" is not the shopper's answer", st.Outcome)
		}
	})

	t.Run("calls and notifications reach no flow", func(t *testing.T) {
		t.Parallel()
		for _, name := range []string{"calls_connect.json", "template_status_paused.json", "template_category_update.json",
			"phone_number_quality_update.json", "account_update.json", "group_message.json"} {
			b, err := os.ReadFile(filepath.Join("..", "whatsapp", "webhook", "testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			e.hook(t, b)
		}
	})
}

// outcome0 is the cart's state now, ended or not.
func (e *flowEnv) outcome0(t *testing.T, cartID string) workflows.State {
	t.Helper()
	return e.until(t, cartID, func(string, workflows.State) bool { return true })
}

// Notifications are logged with their reason, at warning level where an operator must act.
func TestWebhookNotificationLevels(t *testing.T) {
	t.Parallel()
	s := unreachableServer(t)
	log, hook := logtest.NewNullLogger()
	s.log = log
	for name, want := range map[string]logrus.Level{
		"template_status_paused.json":      logrus.WarnLevel,
		"phone_number_quality_update.json": logrus.WarnLevel,
		"account_update.json":              logrus.WarnLevel,
		"template_category_update.json":    logrus.InfoLevel,
		"calls_connect.json":               logrus.InfoLevel,
	} {
		hook.Reset()
		b, err := os.ReadFile(filepath.Join("..", "whatsapp", "webhook", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if a := signed(t, s, b, testAppSecret); a.status != http.StatusOK {
			t.Fatalf("%s: %d %s", name, a.status, a.body)
		}
		entries := hook.AllEntries()
		if len(entries) != 1 || entries[0].Level != want || strings.Contains(entries[0].Message, "phone_number_id is not ours") {
			t.Errorf("%s: %v, want one line at %s with its real reason", name, entries, want)
		}
	}
}
