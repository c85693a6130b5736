package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/cartback/cartback/phone"
	"github.com/cartback/cartback/store"
	"github.com/cartback/cartback/whatsapp"
	"github.com/cartback/cartback/workflows"
)

// Consent is what the sends read and write of cartback's store: a *store.Store.
type Consent interface {
	Ledger
	Suppressed(ctx context.Context, customerKey string) (store.Suppression, bool, error)
	Suppress(ctx context.Context, s store.Suppression) (store.Suppression, bool, error)
	RecordTemplateAccepted(ctx context.Context, customerKey string, at time.Time) error
}

// mayMessage is the check right before every send: a customer suppressed since the flow began (a
// STOP that arrived between the starter's check and now) gets nothing. A store that cannot answer
// fails the attempt, to be retried: nothing is sent unchecked.
func (a *Activities) mayMessage(ctx context.Context, number string) error {
	sup, suppressed, err := a.Consent.Suppressed(ctx, workflows.CustomerKey(a.IDKey, number))
	if err != nil {
		return fmt.Errorf("checking consent before the send: %w", err)
	}
	if suppressed {
		activity.GetLogger(ctx).Info("send refused: the customer is suppressed", "reason", sup.Reason)
		return temporal.NewNonRetryableApplicationError("the customer is suppressed ("+string(sup.Reason)+")",
			workflows.SuppressedErrorType, nil, string(sup.Reason))
	}
	return nil
}

// rememberOptOut records Meta's 131050 refusal as a suppression, so that no later cart tries again
// until Meta reports the shopper resumed marketing messages. A failed record fails the attempt,
// which is retried: Meta refuses it again, and nothing is sent meanwhile.
func (a *Activities) rememberOptOut(ctx context.Context, number string, sendErr error) error {
	var apiErr *whatsapp.APIError
	if !errors.As(sendErr, &apiErr) || apiErr.Code != workflows.CodeMarketingOptOut {
		return nil
	}
	_, _, err := a.Consent.Suppress(ctx, store.Suppression{
		CustomerKey: workflows.CustomerKey(a.IDKey, number), MaskedPhone: phone.Mask(number),
		Reason: store.ReasonMeta131050, Source: "graph api send",
	})
	if err != nil {
		return fmt.Errorf("recording Meta's 131050 refusal: %w", err)
	}
	return nil
}

// RecordTemplate notes that Meta accepted the customer's template: the frequency cap counts from it.
// The flow's ledger row notes it too.
func (a *Activities) RecordTemplate(ctx context.Context, rec workflows.TemplateRecord) error {
	if err := a.Consent.RecordTemplateAccepted(ctx, workflows.CustomerKey(a.IDKey, rec.Phone), rec.At); err != nil {
		return err
	}
	return a.recordTemplateSent(ctx, rec)
}
