package activities

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/cartback/cartback/events"
	"github.com/cartback/cartback/internal/teststore"
	"github.com/cartback/cartback/store"
	"github.com/cartback/cartback/whatsapp"
	"github.com/cartback/cartback/whatsapp/fakegraph"
	"github.com/cartback/cartback/workflows"
)

const (
	phoneNumberID = "106540352242922"
	token         = "test-token"
)

var testIDKey = []byte("activities test id key..........")

var cart = workflows.Cart{
	ID: "c_8f3a", Currency: "USD", TotalMinor: 15497, URL: "https://shop.example.com/cart/c_8f3a",
	Items: []workflows.Item{
		{SKU: "shoe", Name: "Blue Trail Running Shoes", Quantity: 2, UnitPriceMinor: 6499},
		{SKU: "sock", Name: "Socks", Quantity: 1, UnitPriceMinor: 2499},
	},
}

// setup runs the activities against the fake Graph API, through the real client, in the SDK's
// activity test environment (which converts errors as a worker would).
func setup(t *testing.T, reporter Reporter) (*fakegraph.Server, *testsuite.TestActivityEnvironment) {
	t.Helper()
	graph, env, _ := setupWithStore(t, reporter)
	return graph, env
}

// setupWithStore is setup, and the store the activities check consent in.
func setupWithStore(t *testing.T, reporter Reporter) (*fakegraph.Server, *testsuite.TestActivityEnvironment, *store.Store) {
	t.Helper()
	graph, srv := fakegraph.NewTestServer(fakegraph.Options{PhoneNumberID: phoneNumberID, Token: token})
	t.Cleanup(srv.Close)
	wa, err := whatsapp.NewClient(whatsapp.Config{BaseURL: srv.URL, Version: "v23.0", PhoneNumberID: phoneNumberID, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	db := teststore.Open(t)
	env.RegisterActivity(&Activities{WhatsApp: wa, Consent: db, IDKey: testIDKey, Reporter: reporter,
		TemplateName: "cart_check_in", TemplateLanguage: "en_US"})
	return graph, env, db
}

func TestSendTemplate(t *testing.T) {
	graph, env := setup(t, nil)
	req := workflows.TemplateRequest{
		CallbackData: "cart-recovery/0123", CartID: "c_8f3a",
		Customer: workflows.Customer{Phone: "+16505551234", Name: "Sheena Nelson"},
	}
	v, err := env.ExecuteActivity(workflows.SendTemplateActivity, req)
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.SendResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	msgs := graph.Messages()
	if len(msgs) != 1 || res.MessageID != msgs[0].ID || !strings.HasPrefix(res.MessageID, "wamid.") {
		t.Fatalf("result %+v, sends %+v", res, msgs)
	}
	m := msgs[0]
	if m.To != "16505551234" || m.CallbackData != "cart-recovery/0123" || m.Template == nil {
		t.Fatalf("send %+v", m)
	}
	tpl := m.Template
	if tpl.Name != "cart_check_in" || tpl.Language != "en_US" || len(tpl.BodyParams) != 1 || tpl.BodyParams[0] != "Sheena" {
		t.Fatalf("template %+v", tpl)
	}
	want := []string{"cart:c_8f3a:yes", "cart:c_8f3a:no", "cart:c_8f3a:stop"}
	if !slices.Equal(tpl.QuickReplies, want) {
		t.Fatalf("quick replies %q, want %q", tpl.QuickReplies, want)
	}
}

func TestSendReminderAndCoupon(t *testing.T) {
	graph, env := setup(t, nil)
	if _, err := env.ExecuteActivity(workflows.SendReminderActivity, workflows.ReminderRequest{CallbackData: "cb", Phone: "+16505551234", Cart: cart}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.ExecuteActivity(workflows.SendCouponActivity, workflows.CouponRequest{CallbackData: "cb", Phone: "+16505551234", CartURL: cart.URL, CouponCode: "SAVE10"}); err != nil {
		t.Fatal(err)
	}
	msgs := graph.Messages()
	if len(msgs) != 2 || msgs[0].Text == nil || msgs[1].Text == nil {
		t.Fatalf("sends %+v", msgs)
	}
	reminder := msgs[0].Text.Body
	for _, want := range []string{"2 × Blue Trail Running Shoes: 129.98 USD", "1 × Socks: 24.99 USD", "Total: 154.97 USD", cart.URL} {
		if !strings.Contains(reminder, want) {
			t.Errorf("reminder %q lacks %q", reminder, want)
		}
	}
	if got, want := msgs[1].Text.Body, "Here is a 10% discount code: SAVE10. Complete your purchase: "+cart.URL; got != want {
		t.Errorf("coupon %q, want %q", got, want)
	}
	if !msgs[0].Text.PreviewURL || msgs[0].CallbackData != "cb" {
		t.Errorf("reminder send %+v", msgs[0])
	}
}

// sendFailure runs the reminder against a scripted Graph answer and returns the activity's error.
func sendFailure(t *testing.T, status int, body string) *temporal.ApplicationError {
	t.Helper()
	graph, env := setup(t, nil)
	graph.FailNext(status, []byte(body))
	_, err := env.ExecuteActivity(workflows.SendReminderActivity, workflows.ReminderRequest{Phone: "+16505551234", Cart: cart})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != workflows.SendErrorType {
		t.Fatalf("error %v: want an application error of type %s", err, workflows.SendErrorType)
	}
	return appErr
}

func TestMetaRefusalsCarryTheirCodeAndRetryAsMetaSays(t *testing.T) {
	pairRate, err := os.ReadFile("testdata/send_error_response_131056.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name         string
		status       int
		body         string
		code         int
		nonRetryable bool
		delay        time.Duration
	}{
		{"pair rate limit (HTTP 400)", 400, string(pairRate), 131056, false, 0},
		{"server error without code", 503, "<html>unavailable</html>", 0, false, 0},
		{"template does not exist", 400, `{"error":{"message":"(#132001) Template name does not exist in the translation","type":"OAuthException","code":132001}}`, 132001, true, 0},
		{"re-engagement window closed", 400, `{"error":{"message":"(#131047) Re-engagement message","code":131047}}`, 131047, true, 0},
		{"token expired", 401, `{"error":{"message":"Error validating access token","type":"OAuthException","code":190}}`, 190, false, operatorRetryDelay},
		{"template paused", 400, `{"error":{"message":"(#132015) Template is paused","code":132015}}`, 132015, false, operatorRetryDelay},
	} {
		t.Run(tc.name, func(t *testing.T) {
			appErr := sendFailure(t, tc.status, tc.body)
			var failure workflows.SendFailure
			if err := appErr.Details(&failure); err != nil || failure.Code != tc.code {
				t.Fatalf("details %+v (%v), want code %d", failure, err, tc.code)
			}
			if appErr.NonRetryable() != tc.nonRetryable || appErr.NextRetryDelay() != tc.delay {
				t.Fatalf("non-retryable %v, next retry delay %v; want %v, %v", appErr.NonRetryable(), appErr.NextRetryDelay(), tc.nonRetryable, tc.delay)
			}
		})
	}
}

// storefront records outcome reports and answers with the next scripted status.
type storefront struct {
	got    []events.Event
	answer error
}

func (s *storefront) Report(_ context.Context, e events.Event) error {
	s.got = append(s.got, e)
	return s.answer
}

func TestStopReportsTheOutcome(t *testing.T) {
	sf := &storefront{}
	_, env := setup(t, sf)
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	report := workflows.OutcomeReport{EventID: "run-1", CartID: "c_8f3a", Outcome: workflows.OutcomeNoReply, At: at}
	if _, err := env.ExecuteActivity(workflows.StopActivity, report); err != nil {
		t.Fatal(err)
	}
	want := events.Event{EventID: "run-1", CartID: "c_8f3a", Outcome: "no_reply", At: at}
	if len(sf.got) != 1 || sf.got[0] != want {
		t.Fatalf("reported %+v, want %+v", sf.got, want)
	}
}

func TestStopRetriesOnlyWhatRetryingCanFix(t *testing.T) {
	sf := &storefront{answer: errors.New("storefront answered 503")}
	_, env := setup(t, sf)
	_, err := env.ExecuteActivity(workflows.StopActivity, workflows.OutcomeReport{EventID: "e", CartID: "c", Outcome: workflows.OutcomeFailed})
	var appErr *temporal.ApplicationError
	if err == nil || (errors.As(err, &appErr) && appErr.NonRetryable()) {
		t.Fatalf("a 503 must be retried, got %v", err)
	}
}

func TestStopDoesNotRetryARefusedReport(t *testing.T) {
	_, env := setup(t, &events.Reporter{URL: refusingStorefront(t), Secret: []byte("s")})
	_, err := env.ExecuteActivity(workflows.StopActivity, workflows.OutcomeReport{EventID: "e", CartID: "c", Outcome: workflows.OutcomeFailed})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() {
		t.Fatalf("a 400 from the storefront must not be retried, got %v", err)
	}
}

func refusingStorefront(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "unknown cart", http.StatusBadRequest)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestStopWithoutEventsURLOnlyLogs(t *testing.T) {
	_, env := setup(t, nil)
	if _, err := env.ExecuteActivity(workflows.StopActivity, workflows.OutcomeReport{EventID: "e", CartID: "c", Outcome: workflows.OutcomeNoReply}); err != nil {
		t.Fatal(err)
	}
}
