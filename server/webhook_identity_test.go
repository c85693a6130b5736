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

	t.Run("an unknown BSUID is acknowledged and counted, nothing sent", func(t *testing.T) {
		t.Parallel()
		const phone = "+52 55 2000 0002"
		e.start(t, "bsuid-unknown", phone)
		e.sent(t, phone, 1)
		log, notes := logtest.NewNullLogger()
		if a := signed(t, e.serverWithLog(t, log), bsuidReply(t, "MX.20000000000000000099", "wamid.bsuid-unknown.1", "1"), testAppSecret); a.status != http.StatusOK {
			t.Fatalf("webhook: %d %s, want 200", a.status, a.body)
		}
		if n := countNotes(notes, "a business-scoped user id no webhook has paired"); n != 1 {
			t.Errorf("%d notes of an unpaired BSUID, want 1: %v", n, notes.AllEntries())
		}
		time.Sleep(time.Second) // nothing must happen: give it the chance to
		if st := e.outcome0(t, "bsuid-unknown"); st.Reply != nil {
			t.Errorf("the flow took a stranger's reply: %+v", st.Reply)
		}
		e.sent(t, phone, 1)
	})

	// Meta regenerates a BSUID only on a number change, and sends user_changed_user_id when it
	// cannot share the new number: the cart's number no longer reaches the person.
	t.Run("user_changed_user_id ends the flow, then a BSUID-only reply finds its customer", func(t *testing.T) {
		t.Parallel()
		const phone, waID = "+52 55 2000 0003", "5215520000003"
		const before, after = "MX.20000000000000000003", "MX.30000000000000000003"
		e.start(t, "bsuid-changed", phone)
		template := e.sent(t, phone, 1)[0]
		e.hook(t, sentStatus(t, template.ID, waID, before))
		e.hook(t, systemMessage(t, "", after, "wamid.system.uid.3", map[string]any{
			"type": "user_changed_user_id", "body": "changed", "user_id": after, "previous_user_id": before}))
		st := e.outcome(t, "bsuid-changed")
		if st.Outcome != workflows.OutcomeCancelled || st.Reason != workflows.ReasonNumberChanged {
			t.Errorf("outcome %q %q, want cancelled number_changed", st.Outcome, st.Reason)
		}
		// The pair moved with the person: their STOP, by the new BSUID alone, is theirs.
		e.hook(t, bsuidReply(t, after, "wamid.bsuid-changed.1", "STOP"))
		if _, ok, err := e.store.Suppressed(context.Background(), workflows.CustomerKey(testIDKey, waID)); err != nil || !ok {
			t.Errorf("suppressed %v %v, want the STOP by the new BSUID recorded for the customer", ok, err)
		}
		e.sent(t, phone, 1) // nothing more to a number that changed hands
	})

	t.Run("a redelivered user_changed_user_id still ends the flow", func(t *testing.T) {
		t.Parallel()
		const phone, waID = "+52 55 2000 0009", "5215520000009"
		const before, after = "MX.20000000000000000009", "MX.30000000000000000009"
		e.start(t, "bsuid-changed-again", phone)
		template := e.sent(t, phone, 1)[0]
		e.hook(t, sentStatus(t, template.ID, waID, before))
		// The first delivery moved the pair, then failed at the signal (Temporal unreachable).
		if _, err := e.store.ReplaceUserID(context.Background(), workflows.UserIDHash(testIDKey, before), workflows.UserIDHash(testIDKey, after)); err != nil {
			t.Fatal(err)
		}
		e.hook(t, systemMessage(t, "", after, "wamid.system.uid.9", map[string]any{
			"type": "user_changed_user_id", "body": "changed", "user_id": after, "previous_user_id": before}))
		if st := e.outcome(t, "bsuid-changed-again"); st.Outcome != workflows.OutcomeCancelled || st.Reason != workflows.ReasonNumberChanged {
			t.Errorf("outcome %q %q, want cancelled number_changed", st.Outcome, st.Reason)
		}
	})

	t.Run("user_changed_number without the old number finds it by previous_user_id", func(t *testing.T) {
		t.Parallel()
		const phone, waID, newWaID = "+52 55 2000 0008", "5215520000008", "5215520000088"
		const before, after = "MX.20000000000000000008", "MX.40000000000000000088"
		e.start(t, "number-changed-bsuid", phone)
		template := e.sent(t, phone, 1)[0]
		e.hook(t, sentStatus(t, template.ID, waID, before))
		// from_user_id already names the new BSUID: only previous_user_id names the customer.
		e.hook(t, systemMessage(t, "", after, "wamid.system.num.8", map[string]any{
			"type": "user_changed_number", "body": "User changed number", "wa_id": newWaID, "user_id": after, "previous_user_id": before}))
		if st := e.outcome(t, "number-changed-bsuid"); st.Outcome != workflows.OutcomeCancelled || st.Reason != workflows.ReasonNumberChanged {
			t.Errorf("outcome %q %q, want cancelled number_changed", st.Outcome, st.Reason)
		}
		e.sent(t, phone, 1)
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

	t.Run("calls, echoes, history and notifications reach no flow", func(t *testing.T) {
		t.Parallel()
		const phone, waID = "+52 55 2000 0007", "5215520000007"
		e.start(t, "not-a-reply", phone)
		template := e.sent(t, phone, 1)[0]
		// A calls change whose status names the template and fails as a marketing refusal: read as
		// a message status, it would suppress the customer and end the flow opted out.
		call := statuses(map[string]any{"id": template.ID, "status": "failed", "timestamp": "1749417301", "recipient_id": waID,
			"errors": []any{map[string]any{"code": 131050, "title": "Unable to deliver the message."}}})
		callChange := change(testPhoneNumberID, call)
		callChange["field"] = "calls"
		e.hook(t, payload(t, callChange))
		// Every other sample, re-addressed to this customer: echoes and history carry a "1".
		names, err := filepath.Glob(filepath.Join("..", "whatsapp", "webhook", "testdata", "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			if base := filepath.Base(name); !notificationSample(base) {
				continue
			}
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			e.hook(t, []byte(strings.ReplaceAll(string(b), "5215512345678", waID)))
		}
		e.hook(t, reply(t, waID, "wamid.not-a-reply.7", "2"))
		if st := e.outcome(t, "not-a-reply"); st.Outcome != workflows.OutcomeCouponSent {
			t.Errorf("outcome %q %q, want coupon_sent: nothing before the shopper's \"2\" was their answer", st.Outcome, st.Reason)
		}
		if _, ok, err := e.store.Suppressed(context.Background(), workflows.CustomerKey(testIDKey, waID)); err != nil || ok {
			t.Errorf("suppressed %v %v: a call's status was read as the template's", ok, err)
		}
	})
}

// notificationSample says whether a testdata sample is a change of a field other than messages
// and user_preferences, or a group's message: none may reach a flow.
func notificationSample(name string) bool {
	switch name {
	case "group_message.json":
		return true
	}
	b, err := os.ReadFile(filepath.Join("..", "whatsapp", "webhook", "testdata", name))
	return err == nil && !strings.Contains(string(b), `"field": "messages"`) && !strings.Contains(string(b), `"field": "user_preferences"`)
}

// countNotes counts the log lines whose message holds part.
func countNotes(h *logtest.Hook, part string) int {
	n := 0
	for _, e := range h.AllEntries() {
		if strings.Contains(e.Message, part) {
			n++
		}
	}
	return n
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
	levels := map[string]logrus.Level{
		"template_status_paused.json":             logrus.WarnLevel,
		"template_status_disabled.json":           logrus.WarnLevel,
		"message_template_quality_update.json":    logrus.WarnLevel,
		"phone_number_quality_update.json":        logrus.WarnLevel,
		"account_update.json":                     logrus.WarnLevel,
		"account_alerts.json":                     logrus.WarnLevel,
		"account_review_update.json":              logrus.WarnLevel,
		"template_category_update.json":           logrus.InfoLevel,
		"message_template_components_update.json": logrus.InfoLevel,
		"phone_number_name_update.json":           logrus.InfoLevel,
		"business_capability_update.json":         logrus.InfoLevel,
		"business_username_update.json":           logrus.InfoLevel,
		"security.json":                           logrus.InfoLevel,
		"partner_solutions.json":                  logrus.InfoLevel,
		"payment_configuration_update.json":       logrus.InfoLevel,
		"automatic_events.json":                   logrus.InfoLevel,
		"history.json":                            logrus.InfoLevel,
		"smb_message_echoes.json":                 logrus.InfoLevel,
		"smb_app_state_sync.json":                 logrus.InfoLevel,
		"group_lifecycle_update.json":             logrus.InfoLevel,
		"calls_connect.json":                      logrus.InfoLevel,
	}
	names, _ := filepath.Glob(filepath.Join("..", "whatsapp", "webhook", "testdata", "*.json"))
	for _, name := range names {
		if base := filepath.Base(name); notificationSample(base) && base != "group_message.json" {
			if _, ok := levels[base]; !ok {
				t.Errorf("%s: a notification sample without its level here", base)
			}
		}
	}
	for name, want := range levels {
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
