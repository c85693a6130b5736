package activities

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/cartback/cartback/store"
	"github.com/cartback/cartback/workflows"
)

const shopper = "+525512345678"

var customerKey = workflows.CustomerKey(testIDKey, shopper)

// TestNoSendToASuppressedCustomer: the check right before every send refuses a customer suppressed
// since the flow began, for good (not retried), and Meta hears nothing.
func TestNoSendToASuppressedCustomer(t *testing.T) {
	graph, env, db := setupWithStore(t, nil)
	if _, _, err := db.Suppress(context.Background(), store.Suppression{CustomerKey: customerKey, Reason: store.ReasonKeyword, Source: "test"}); err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"template": func() error {
			_, err := env.ExecuteActivity(workflows.SendTemplateActivity, workflows.TemplateRequest{CartID: "c_1", Customer: workflows.Customer{Phone: shopper, Name: "Ana"}})
			return err
		},
		"reminder": func() error {
			_, err := env.ExecuteActivity(workflows.SendReminderActivity, workflows.ReminderRequest{Phone: shopper, Cart: cart})
			return err
		},
		"coupon": func() error {
			_, err := env.ExecuteActivity(workflows.SendCouponActivity, workflows.CouponRequest{Phone: shopper, CartURL: cart.URL, CouponCode: "SAVE10"})
			return err
		},
	} {
		var appErr *temporal.ApplicationError
		var reason string
		if err := call(); !errors.As(err, &appErr) || appErr.Type() != workflows.SuppressedErrorType || !appErr.NonRetryable() ||
			appErr.Details(&reason) != nil || reason != string(store.ReasonKeyword) {
			t.Errorf("%s: %v, want a non-retryable %s with the reason", name, err, workflows.SuppressedErrorType)
		}
	}
	if n := len(graph.Messages()); n != 0 {
		t.Fatalf("%d messages reached Meta", n)
	}
}

// TestMetasOptOutRefusalIsRemembered: a template refused with 131050 suppresses the customer.
func TestMetasOptOutRefusalIsRemembered(t *testing.T) {
	graph, env, db := setupWithStore(t, nil)
	graph.FailNext(400, fmt.Appendf(nil, `{"error":{"message":"(#131050) Unable to deliver the message","type":"OAuthException","code":131050,"error_data":{"messaging_product":"whatsapp","details":"the user stopped marketing messages"},"fbtrace_id":"A1"}}`))
	_, err := env.ExecuteActivity(workflows.SendTemplateActivity, workflows.TemplateRequest{CartID: "c_1", Customer: workflows.Customer{Phone: shopper, Name: "Ana"}})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != workflows.SendErrorType {
		t.Fatalf("send: %v, want Meta's refusal", err)
	}
	sup, ok, err := db.Suppressed(context.Background(), customerKey)
	if err != nil || !ok || sup.Reason != store.ReasonMeta131050 || sup.MaskedPhone != "+52******5678" {
		t.Fatalf("suppression %+v %v %v", sup, ok, err)
	}
}

func TestRecordTemplate(t *testing.T) {
	_, env, db := setupWithStore(t, nil)
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if _, err := env.ExecuteActivity(workflows.RecordTemplateActivity, workflows.TemplateRecord{Phone: shopper, MessageID: "wamid.1", At: at}); err != nil {
		t.Fatal(err)
	}
	got, ok, err := db.LastTemplateAccepted(context.Background(), customerKey)
	if err != nil || !ok || !got.Equal(at) {
		t.Fatalf("last template %v %v %v, want %v", got, ok, err, at)
	}
}
