package server

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/cartback/cartback/starter"
	"github.com/cartback/cartback/workflows"
)

// The consent scenarios of the README's "Messaging policy" on a real Temporal server, a real store
// shared by the worker and the server, and the fake Graph API: each asserts exactly which messages
// went out. Numbers are Mexican; webhooks carry the 521… wa_id Meta reports for them.

// mx is a Mexico City mobile: its E.164 and the wa_id WhatsApp reports for it.
func mx(n int) (e164, waID string) {
	return fmt.Sprintf("+52551000%04d", n), fmt.Sprintf("521551000%04d", n)
}

// preference is a user_preferences change for marketing messages.
func preference(waID, value string) []byte {
	return []byte(fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"user_preferences",
		"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":%q},
		"user_preferences":[{"wa_id":%q,"detail":"User requested","category":"marketing_messages","value":%q,"timestamp":%d}]}}]}]}`,
		testPhoneNumberID, waID, value, time.Now().Unix()))
}

// refused posts a cart and wants it refused with status and code, nothing started.
func (e *flowEnv) refused(t *testing.T, h http.Handler, cartID, number string, status int, code string) apiError {
	t.Helper()
	a := api(t, h, http.MethodPost, "/v1/carts", cartJSON(t, cartID, number, nil))
	if a.status != status || a.apiErr(t).Code != code {
		t.Fatalf("cart %s: %d %s, want %d %s", cartID, a.status, a.body, status, code)
	}
	return a.apiErr(t)
}

func (e *flowEnv) optedOut(t *testing.T, cartID, reason string) {
	t.Helper()
	if st := e.outcome(t, cartID); st.Outcome != workflows.OutcomeOptedOut || st.Reason != reason {
		t.Fatalf("cart %s: outcome %q %q, want opted_out %q", cartID, st.Outcome, st.Reason, reason)
	}
}

func TestConsentScenarios(t *testing.T) {
	e := startFlowEnv(t)

	// Not parallel: the Graph API's scripted failure is for whichever send comes next.
	t.Run("131050 at send", func(t *testing.T) {
		number, _ := mx(1)
		e.graph.FailNext(400, []byte(`{"error":{"message":"(#131050) Unable to deliver","type":"OAuthException","code":131050,"fbtrace_id":"A1"}}`))
		e.start(t, "c131050-send", number)
		e.optedOut(t, "c131050-send", "131050")
		e.refused(t, e.server, "c131050-send-2", number, http.StatusUnprocessableEntity, starter.RefusedSuppressed)
		if n := len(e.graph.MessagesTo(number)); n != 0 {
			t.Fatalf("%d messages accepted, want none", n)
		}
	})
	t.Run("STOP while waiting", func(t *testing.T) {
		t.Parallel()
		number, waID := mx(3)
		e.start(t, "cstop", number)
		e.sent(t, number, 1)
		e.hook(t, reply(t, waID, "wamid.cstop", "STOP"))
		e.optedOut(t, "cstop", "keyword")
		e.refused(t, e.server, "cstop-2", number, http.StatusUnprocessableEntity, starter.RefusedSuppressed)
		e.sent(t, number, 1)
	})
	t.Run("BAJA while waiting", func(t *testing.T) {
		t.Parallel()
		number, waID := mx(4)
		e.start(t, "cbaja", number)
		e.sent(t, number, 1)
		e.hook(t, reply(t, waID, "wamid.cbaja", "¡Baja!"))
		e.optedOut(t, "cbaja", "keyword")
		e.sent(t, number, 1)
	})
	t.Run("STOP with no flow open, then a cart", func(t *testing.T) {
		t.Parallel()
		number, waID := mx(5)
		e.hook(t, reply(t, waID, "wamid.cnoflow", "stop"))
		e.refused(t, e.server, "cnoflow", number, http.StatusUnprocessableEntity, starter.RefusedSuppressed)
		if n := len(e.graph.MessagesTo(number)); n != 0 {
			t.Fatalf("%d messages accepted, want none", n)
		}
	})
	t.Run("Stop promotions button", func(t *testing.T) {
		t.Parallel()
		number, waID := mx(6)
		e.start(t, "cbutton", number)
		e.sent(t, number, 1)
		e.hook(t, payload(t, change(testPhoneNumberID, messages(buttonMessage(waID, "wamid.cbutton", workflows.StopPayload("cbutton"), "Stop promotions")))))
		e.optedOut(t, "cbutton", "button")
		e.refused(t, e.server, "cbutton-2", number, http.StatusUnprocessableEntity, starter.RefusedSuppressed)
	})
	t.Run("user_preferences stop, then resume, then a cart", func(t *testing.T) {
		t.Parallel()
		number, waID := mx(7)
		e.start(t, "cpref", number)
		e.sent(t, number, 1)
		e.hook(t, preference(waID, "stop"))
		e.optedOut(t, "cpref", "user_preferences")
		e.refused(t, e.server, "cpref-2", number, http.StatusUnprocessableEntity, starter.RefusedSuppressed)
		e.hook(t, preference(waID, "resume"))
		e.start(t, "cpref-3", number)
		e.sent(t, number, 2)
	})
	t.Run("STOP then START, then a cart", func(t *testing.T) {
		t.Parallel()
		number, waID := mx(8)
		e.hook(t, reply(t, waID, "wamid.cstart-stop", "STOP"))
		e.refused(t, e.server, "cstart", number, http.StatusUnprocessableEntity, starter.RefusedSuppressed)
		e.hook(t, reply(t, waID, "wamid.cstart-start", "START"))
		e.start(t, "cstart-2", number)
		e.sent(t, number, 1)
	})
	t.Run("resume does not lift the shopper's own STOP", func(t *testing.T) {
		t.Parallel()
		number, waID := mx(9)
		e.hook(t, reply(t, waID, "wamid.cresume", "STOP"))
		e.hook(t, preference(waID, "resume"))
		e.refused(t, e.server, "cresume", number, http.StatusUnprocessableEntity, starter.RefusedSuppressed)
	})
	t.Run("131050 in a failed status", func(t *testing.T) {
		t.Parallel()
		number, waID := mx(10)
		started := e.start(t, "cstatus", number)
		tpl := e.sent(t, number, 1)[0]
		e.hook(t, payload(t, change(testPhoneNumberID, statuses(map[string]any{
			"id": tpl.ID, "status": "failed", "timestamp": fmt.Sprint(time.Now().Unix()), "recipient_id": waID,
			"biz_opaque_callback_data": started.WorkflowID,
			"errors":                   []any{map[string]any{"code": 131050, "title": "Unable to deliver the message"}},
		}))))
		e.optedOut(t, "cstatus", "131050")
		e.refused(t, e.server, "cstatus-2", number, http.StatusUnprocessableEntity, starter.RefusedSuppressed)
	})
	t.Run("the storefront suppresses, lists and lifts", func(t *testing.T) {
		t.Parallel()
		number, _ := mx(11)
		e.start(t, "cshop", number)
		e.sent(t, number, 1)
		a := api(t, e.server, http.MethodPost, "/v1/suppressions", []byte(`{"phone": "+52 55 1000 0011", "source": "crm"}`))
		var sup suppression
		a.decode(t, &sup)
		if a.status != http.StatusCreated || sup.Reason != "storefront" || sup.Source != "crm" || sup.MaskedPhone != "+52******0011" || len(sup.CustomerKey) != 32 {
			t.Fatalf("POST /v1/suppressions: %d %s", a.status, a.body)
		}
		if again := api(t, e.server, http.MethodPost, "/v1/suppressions", []byte(`{"phone": "+525510000011"}`)); again.status != http.StatusOK {
			t.Fatalf("the same suppression again: %d %s, want 200", again.status, again.body)
		}
		e.optedOut(t, "cshop", "storefront")
		e.refused(t, e.server, "cshop-2", number, http.StatusUnprocessableEntity, starter.RefusedSuppressed)

		lifted := api(t, e.server, http.MethodDelete, "/v1/suppressions/"+sup.CustomerKey, nil)
		if lifted.status != http.StatusOK || string(lifted.body) != "{\"lifted\":1}\n" {
			t.Fatalf("DELETE: %d %s, want 200 lifted 1", lifted.status, lifted.body)
		}
		e.start(t, "cshop-3", number)
		e.sent(t, number, 2)
	})
	t.Run("storefront API refusals", func(t *testing.T) {
		t.Parallel()
		for target, want := range map[string]int{
			"/v1/suppressions?limit=0":         http.StatusBadRequest,
			"/v1/suppressions?cursor=garbage":  http.StatusBadRequest,
			"/v1/suppressions?limit=1":         http.StatusOK,
			"/v1/suppressions/+525510000011":   http.StatusMethodNotAllowed,
			"/v1/suppressions/not-a-key":       http.StatusMethodNotAllowed,
			"/v1/suppressions?limit=1&cursor=": http.StatusOK,
		} {
			if a := api(t, e.server, http.MethodGet, target, nil); a.status != want {
				t.Errorf("GET %s: %d %s, want %d", target, a.status, a.body, want)
			}
		}
		if a := api(t, e.server, http.MethodDelete, "/v1/suppressions/not-a-key", nil); a.status != http.StatusBadRequest {
			t.Errorf("DELETE a malformed key: %d %s, want 400", a.status, a.body)
		}
		if a := api(t, e.server, http.MethodPost, "/v1/suppressions", []byte(`{"phone": "6505551234"}`)); a.status != http.StatusUnprocessableEntity ||
			a.apiErr(t).Code != "invalid_suppression" || a.apiErr(t).Fields["phone"] == "" {
			t.Errorf("POST a number without +: %d %s, want 422 invalid_suppression naming phone", a.status, a.body)
		}
	})
}

// TestSuppressionsExportPages lists suppressions page by page, as a compliance export does.
func TestSuppressionsExportPages(t *testing.T) {
	e := startFlowEnv(t)
	for i := range 5 {
		number, _ := mx(100 + i)
		if a := api(t, e.server, http.MethodPost, "/v1/suppressions", []byte(`{"phone": "`+number+`"}`)); a.status != http.StatusCreated {
			t.Fatalf("POST: %d %s", a.status, a.body)
		}
	}
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("more pages than suppressions")
		}
		a := api(t, e.server, http.MethodGet, "/v1/suppressions?limit=2&cursor="+cursor, nil)
		var page struct {
			Suppressions []suppression `json:"suppressions"`
			NextCursor   string        `json:"next_cursor"`
		}
		a.decode(t, &page)
		for _, s := range page.Suppressions {
			seen[s.CustomerKey] = true
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(seen) != 5 {
		t.Fatalf("the export found %d suppressions, want 5", len(seen))
	}
}

// TestPolicyRefusals: countries and the frequency cap, with the policy a deployment sets.
func TestPolicyRefusals(t *testing.T) {
	e := startFlowEnv(t)
	withPolicy := func(p starter.Policy) *Server {
		st, err := starter.New(e.client, starter.Options{IDKey: testIDKey, Namespace: e.ns, Consent: e.store, Policy: p,
			Settings: workflows.Settings{ReplyWindow: time.Hour, CouponCode: "SAVE10"}})
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(st, Options{APIKey: testAPIKey, AppSecrets: []string{testAppSecret}, VerifyToken: testVerifyToken, PhoneNumberID: testPhoneNumberID})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	byDefault := withPolicy(starter.Policy{DenyCountries: []string{"US"}, FrequencyCap: 7 * 24 * time.Hour})
	e.refused(t, byDefault, "cus", "+1 650 555 0199", http.StatusUnprocessableEntity, starter.RefusedCountry)

	rollout := withPolicy(starter.Policy{AllowCountries: []string{"ID", "MX"}})
	e.refused(t, rollout, "cbr", "+55 11 98765 4321", http.StatusUnprocessableEntity, starter.RefusedCountry)
	if a := api(t, rollout, http.MethodPost, "/v1/carts", cartJSON(t, "cid", "+62 812 3456 7890", nil)); a.status != http.StatusAccepted {
		t.Fatalf("an Indonesian number under ID,MX: %d %s, want 202", a.status, a.body)
	}
	e.sent(t, "+6281234567890", 1)

	number, _ := mx(200)
	if a := api(t, byDefault, http.MethodPost, "/v1/carts", cartJSON(t, "cfreq", number, nil)); a.status != http.StatusAccepted {
		t.Fatalf("first cart: %d %s", a.status, a.body)
	}
	e.sent(t, number, 1)
	e.until(t, "cfreq", func(_ string, st workflows.State) bool { return st.Step == workflows.StepAwaitingReply })
	if a := api(t, byDefault, http.MethodPost, "/v1/carts/cfreq/purchase", nil); a.status != http.StatusAccepted {
		t.Fatalf("purchase: %d %s", a.status, a.body)
	}
	e.outcome(t, "cfreq")
	refusal := e.refused(t, byDefault, "cfreq-2", number, http.StatusConflict, starter.RefusedFrequency)
	if refusal.RetryAt == nil || time.Until(*refusal.RetryAt) < 6*24*time.Hour || time.Until(*refusal.RetryAt) > 7*24*time.Hour {
		t.Fatalf("retry_at %v, want about 7 days from now", refusal.RetryAt)
	}
	e.sent(t, number, 1)
}

// TestStopWhileTheReminderIsRetried: the shopper said "1", Meta keeps refusing the reminder with its
// pair rate limit, and the shopper says STOP: the reminder is never sent. (A Graph API of its own:
// its scripted failures would reach other tests' sends.)
func TestStopWhileTheReminderIsRetried(t *testing.T) {
	e := startFlowEnv(t)
	number, waID := mx(2)
	e.start(t, "cretry", number)
	e.sent(t, number, 1)
	for range 20 {
		e.graph.FailNext(400, []byte(`{"error":{"message":"(#131056) pair rate limit hit","type":"OAuthException","code":131056,"fbtrace_id":"A2"}}`))
	}
	e.hook(t, reply(t, waID, "wamid.cretry-1", "1"))
	e.until(t, "cretry", func(_ string, st workflows.State) bool { return st.Step == workflows.StepSendingFollowUp })
	e.hook(t, reply(t, waID, "wamid.cretry-stop", "STOP"))
	e.optedOut(t, "cretry", "keyword")
	if n := len(e.graph.MessagesTo(number)); n != 1 {
		t.Fatalf("%d messages accepted, want the template only", n)
	}
}
