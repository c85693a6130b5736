package sandbox

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/cartback/cartback/whatsapp/fakegraph"
)

// maxFailures bounds the in-memory log of failed status posts.
const maxFailures = 100

// WebhookFailure is a status webhook our server did not accept, after the retries. The send it
// reports was accepted all the same, as at Meta.
type WebhookFailure struct {
	At         time.Time `json:"at"`
	MessageID  string    `json:"message_id"`
	Status     string    `json:"status"`      // the status being reported: sent or delivered
	HTTPStatus int       `json:"http_status"` // our server's answer; 0 when unreachable
	Error      string    `json:"error"`
}

// WebhookFailures returns the latest failed status posts (at most 100), oldest first.
func (s *Sandbox) WebhookFailures() []WebhookFailure {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]WebhookFailure(nil), s.failures...)
}

// reportStatuses posts "sent" then "delivered" for an accepted send, in that order, each retried
// like Meta retries. It runs on a goroutine of its own and stops at Close.
func (s *Sandbox) reportStatuses(m fakegraph.Message, kind string) {
	for _, status := range []string{StatusSent, StatusDelivered} {
		if s.ctx.Err() != nil {
			return
		}
		// The entry shows what WhatsApp knows, whether or not our server hears of it.
		s.setStatus(m.To, m.ID, status, "")
		body, err := metaJSON(s.envelope(wireValue{Statuses: []wireStatus{{
			ID:           m.ID,
			Status:       status,
			Timestamp:    unixString(s.opts.Now()),
			RecipientID:  m.To,
			CallbackData: m.CallbackData,
			Pricing:      pricing(kind),
		}}}))
		if err == nil {
			err = s.deliver(s.ctx, body)
		}
		if err != nil && s.ctx.Err() == nil {
			s.logFailure(m.ID, status, err)
		}
	}
}

// pricing is what Meta reports for a message under per-message pricing: our template is a
// Marketing one; anything else is sent inside the customer service window the shopper's reply
// opened, which is free.
func pricing(kind string) wirePricing {
	if kind == KindTemplate {
		return wirePricing{Billable: true, PricingModel: "PMP", Category: "marketing", Type: "regular"}
	}
	return wirePricing{Billable: false, PricingModel: "PMP", Category: "service", Type: "free_customer_service"}
}

// deliver posts body, retrying after s.retryDelays when our server was unreachable or answered
// 429 or 5xx (it answers 503 while Temporal is unreachable); other refusals are final.
func (s *Sandbox) deliver(ctx context.Context, body []byte) error {
	for attempt := 0; ; attempt++ {
		err := s.post(ctx, body)
		var werr *WebhookError
		if err == nil || !errors.As(err, &werr) || !retryable(werr.StatusCode) || attempt >= len(s.retryDelays) {
			return err
		}
		t := time.NewTimer(s.retryDelays[attempt])
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
	}
}

func retryable(status int) bool {
	return status == 0 || status == http.StatusTooManyRequests || status >= 500
}

// logFailure keeps a failed status post in memory, dropping the oldest beyond maxFailures.
func (s *Sandbox) logFailure(messageID, status string, err error) {
	f := WebhookFailure{At: s.opts.Now(), MessageID: messageID, Status: status, Error: err.Error()}
	var werr *WebhookError
	if errors.As(err, &werr) {
		f.HTTPStatus = werr.StatusCode
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, f)
	if len(s.failures) > maxFailures {
		s.failures = append([]WebhookFailure(nil), s.failures[len(s.failures)-maxFailures:]...)
	}
}
