package starter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cartback/cartback/phone"
	"github.com/cartback/cartback/store"
	"github.com/cartback/cartback/workflows"
)

// Consent is what the starter reads and writes of cartback's store: a *store.Store.
type Consent interface {
	Ledger
	Suppressed(ctx context.Context, customerKey string) (store.Suppression, bool, error)
	Suppress(ctx context.Context, s store.Suppression) (store.Suppression, bool, error)
	Lift(ctx context.Context, customerKey string, reasons ...store.Reason) (int, error)
	LastTemplateAccepted(ctx context.Context, customerKey string) (time.Time, bool, error)
	ListSuppressions(ctx context.Context, cursor string, limit int) ([]store.Suppression, string, error)
	LinkUserID(ctx context.Context, customerKey, userIDHash string) error
	CustomerByUserID(ctx context.Context, userIDHash string) (string, bool, error)
	ReplaceUserID(ctx context.Context, oldHash, newHash string) (bool, error)
	Ping(ctx context.Context) error
}

// Policy says who may get a template (the README's "Messaging policy").
type Policy struct {
	// AllowCountries, when set, are the only regions (ISO 3166-1 alpha-2) messaged.
	AllowCountries []string
	// DenyCountries are never messaged, even when allowed.
	DenyCountries []string
	// FrequencyCap is the least time between two templates to one customer, counted from the last
	// template Meta accepted; 0 turns it off.
	FrequencyCap time.Duration
}

// The codes of RefusedError, as the API answers them.
const (
	RefusedSuppressed = "suppressed"
	RefusedCountry    = "country_not_allowed"
	RefusedFrequency  = "frequency_cap"
)

// RefusedError refuses a cart the messaging policy does not allow: nothing was started.
type RefusedError struct {
	Code    string    // RefusedSuppressed, RefusedCountry or RefusedFrequency
	Message string    // says why, without the number
	RetryAt time.Time // RefusedFrequency: when the customer may get the next template
}

func (e *RefusedError) Error() string { return e.Message }

// checkCountry refuses a number of a region the policy does not message.
func (p Policy) checkCountry(number string) error {
	region := phone.Region(number)
	denied := slices.Contains(p.DenyCountries, region) || (len(p.AllowCountries) > 0 && !slices.Contains(p.AllowCountries, region))
	if !denied {
		return nil
	}
	if region == "" {
		region = "an unknown region"
	}
	return &RefusedError{Code: RefusedCountry, Message: fmt.Sprintf("the number is in %s, which this deployment does not message (CARTBACK_ALLOW_COUNTRIES, CARTBACK_DENY_COUNTRIES)", region)}
}

// mayStart is the store's part of the policy, checked right before a flow starts: a suppressed
// customer gets no template, nor one within the frequency cap of the last.
func (s *Starter) mayStart(ctx context.Context, number string) error {
	key := s.CustomerKey(number)
	sup, suppressed, err := s.consent.Suppressed(ctx, key)
	if err != nil {
		return storeError(err)
	}
	if suppressed {
		return &RefusedError{Code: RefusedSuppressed, Message: fmt.Sprintf("the customer is suppressed (%s since %s): no message may be sent",
			sup.Reason, sup.At.Format(time.RFC3339))}
	}
	if s.policy.FrequencyCap <= 0 {
		return nil
	}
	last, ok, err := s.consent.LastTemplateAccepted(ctx, key)
	if err != nil {
		return storeError(err)
	}
	if next := last.Add(s.policy.FrequencyCap); ok && s.now().Before(next) {
		return &RefusedError{Code: RefusedFrequency, RetryAt: next.UTC(),
			Message: fmt.Sprintf("the customer got a template at %s: the next may go at %s (CARTBACK_FREQUENCY_CAP)",
				last.UTC().Format(time.RFC3339), next.UTC().Format(time.RFC3339))}
	}
	return nil
}

// storeError marks a failure to reach cartback's store as unavailable: the caller retries.
func storeError(err error) error {
	if isInvalid(err) {
		return err
	}
	return fmt.Errorf("%w: cartback's store: %w", ErrUnavailable, err)
}

// Suppress suppresses a customer for the storefront (POST /v1/suppressions), and ends the
// customer's open flow. number is E.164 as a storefront sends it. It returns the suppression as
// stored and whether it is new. Errors: *ValidationError, ErrUnavailable.
func (s *Starter) Suppress(ctx context.Context, number, source string) (store.Suppression, bool, error) {
	e164, err := phone.Normalize(number)
	if err != nil {
		return store.Suppression{}, false, &ValidationError{Of: "suppression", Fields: map[string]string{"phone": err.Error()}}
	}
	if source = strings.TrimSpace(source); source == "" {
		source = "storefront"
	}
	return s.suppress(ctx, e164, store.ReasonStorefront, source, "")
}

// suppress records a suppression of the customer of number (E.164 or wa_id) and tells the
// customer's open flow, if any, to end. The record comes first: a flow started meanwhile is
// refused by the check before its send.
func (s *Starter) suppress(ctx context.Context, number string, reason store.Reason, source, messageID string) (store.Suppression, bool, error) {
	return s.suppressCustomer(ctx, s.customerOf(number), reason, source, messageID)
}

// suppressCustomer is suppress for a customer known by key (and the masked number, if any).
func (s *Starter) suppressCustomer(ctx context.Context, c customer, reason store.Reason, source, messageID string) (store.Suppression, bool, error) {
	sup, created, err := s.consent.Suppress(ctx, store.Suppression{
		CustomerKey: c.key, MaskedPhone: c.masked, Reason: reason, Source: source,
	})
	if err != nil {
		return store.Suppression{}, false, storeError(err)
	}
	out := workflows.OptOut{Reason: string(reason), MessageID: messageID, At: sup.At}
	// A stop from WhatsApp is signalled once per message; the storefront's (no message id) as the SDK does.
	if err := s.signal(ctx, workflows.WorkflowIDOf(c.key), workflows.OptOutSignal, requestID("opt-out", messageID), out); err != nil && !isNoFlow(err) {
		return store.Suppression{}, false, err
	}
	return sup, created, nil
}

// Unsuppress lifts what the storefront may lift of a customer's suppressions (DELETE
// /v1/suppressions/{customer_key}): the shopper's own stop and the storefront's. What Meta
// reported stays until Meta reports a resume. It returns how many it lifted.
func (s *Starter) Unsuppress(ctx context.Context, customerKey string) (int, error) {
	n, err := s.consent.Lift(ctx, customerKey, store.LiftOnStorefrontDelete...)
	if err != nil {
		return 0, storeError(err)
	}
	return n, nil
}

// Suppressions is one page of every suppression held, for compliance exports.
func (s *Starter) Suppressions(ctx context.Context, cursor string, limit int) ([]store.Suppression, string, error) {
	page, next, err := s.consent.ListSuppressions(ctx, cursor, limit)
	if err != nil {
		return nil, "", storeError(err)
	}
	return page, next, nil
}

// isInvalid reports the store's refusals of a caller's values (a malformed customer key, a cursor
// it did not give out): the caller's mistake, not an outage.
func isInvalid(err error) bool {
	return errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrBadCursor)
}

// isNoFlow reports that a signal found no open flow: nothing to end.
func isNoFlow(err error) bool { return errors.Is(err, ErrNotFound) }
