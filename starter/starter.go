package starter

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/cartback/cartback/messages"
	"github.com/cartback/cartback/store"
	"github.com/cartback/cartback/workflows"
)

// Starter starts and drives cart recovery flows. It is safe for concurrent use.
type Starter struct {
	c        client.Client
	idKey    []byte
	settings workflows.Settings
	messages *messages.File
	now      func() time.Time
	dc       converter.DataConverter
	recent   *recentRuns
	starts   *serial // one start at a time per customer in this process
	consent  Consent
	policy   Policy
	window   time.Duration // Options.AttributionWindow
	// namespace and identity are the client's, for the signals sent through the workflow service.
	namespace string
	identity  string
}

// Options configure a Starter.
type Options struct {
	// IDKey keys the workflow ID HMAC (CARTBACK_ID_KEY); required.
	IDKey []byte
	// Settings are copied into every flow started (reply window, coupon code).
	Settings workflows.Settings
	// Messages is the messages file: the shopper's locale's template and texts are copied into
	// the flow's settings. nil means the embedded default.
	Messages *messages.File
	// Now is the clock for validation; nil means time.Now.
	Now func() time.Time
	// DataConverter must be the client's, to read runs' inputs and memos; nil means the default.
	DataConverter converter.DataConverter
	// Consent is cartback's store of suppressions and sends; required.
	Consent Consent
	// Policy says who may be messaged: countries and the frequency cap.
	Policy Policy
	// AttributionWindow is how long after a flow's last message a purchase counts as won back by
	// it, on the ledger; 0 means store.DefaultAttributionWindow.
	AttributionWindow time.Duration
	// Namespace must be the client's (TEMPORAL_NAMESPACE): the webhook's exactly-once signals go
	// through the workflow service, which names it in each request. Empty means "default", as
	// for the client.
	Namespace string
}

// New returns a Starter over c.
func New(c client.Client, o Options) (*Starter, error) {
	if len(o.IDKey) == 0 {
		return nil, errors.New("starter: the workflow ID key is required")
	}
	if o.Consent == nil {
		return nil, errors.New("starter: cartback's store is required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Messages == nil {
		o.Messages = messages.Default()
	}
	if o.DataConverter == nil {
		o.DataConverter = converter.GetDefaultDataConverter()
	}
	if o.Namespace == "" {
		o.Namespace = client.DefaultNamespace
	}
	if o.AttributionWindow <= 0 {
		o.AttributionWindow = store.DefaultAttributionWindow
	}
	host, _ := os.Hostname()
	return &Starter{
		c: c, idKey: o.IDKey, settings: o.Settings, messages: o.Messages, now: o.Now, dc: o.DataConverter,
		recent: newRecentRuns(recentRunsSize), starts: newSerial(), consent: o.Consent, policy: o.Policy,
		namespace: o.Namespace, identity: fmt.Sprintf("%d@%s@cartback-webhook", os.Getpid(), host),
		window: o.AttributionWindow,
	}, nil
}

// CustomerKey is how logs name the customer of a number (E.164 or wa_id): never the number itself.
func (s *Starter) CustomerKey(number string) string { return workflows.CustomerKey(s.idKey, number) }

// UserIDHash is how logs and the store name a business-scoped user id: never the id itself.
func (s *Starter) UserIDHash(userID string) string { return workflows.UserIDHash(s.idKey, userID) }

// Ready reports whether Temporal and cartback's store both answer: every start and every STOP
// needs both.
func (s *Starter) Ready(ctx context.Context) error {
	if _, err := s.c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return fmt.Errorf("%w: Temporal: %w", ErrUnavailable, err)
	}
	if err := s.consent.Ping(ctx); err != nil {
		return storeError(err)
	}
	return nil
}

// Validate decodes nothing and starts nothing: it normalises c into the input its flow would get.
func (s *Starter) Validate(c Cart) (workflows.Input, error) {
	in, err := Normalize(c, s.now())
	in.Settings = s.settings
	if err == nil {
		m := s.messages.For(in.Customer.Locale, in.Customer.Phone)
		in.Settings.Messages = &m
	}
	return in, err
}

// Run identifies one flow: one run of the customer's workflow.
type Run struct {
	CartID     string `json:"cart_id"`
	WorkflowID string `json:"workflow_id"`
	RunID      string `json:"run_id"`
}

// Started is the answer to Start.
type Started struct {
	Run
	// Existing is true when the cart already had a flow: nothing was started.
	Existing bool `json:"-"`
	// Changed is true when Existing and the cart posted differs from the one the flow has.
	Changed bool `json:"-"`
	// Repost says what a changed cart did to a flow: RepostUpdated (the flow goes on with it) or
	// RepostFixed (the flow goes on with the cart it had).
	Repost workflows.RepostAnswer `json:"-"`
}

// Start validates the cart and starts its flow. A cart that already has a flow (running or ended)
// gets that flow back with Existing set, so reposting is safe; a customer whose flow for another
// cart still runs gets a *BusyError; a customer the messaging policy does not allow a *RefusedError.
// Errors: *ValidationError, *BusyError, *RefusedError, ErrUnavailable.
func (s *Starter) Start(ctx context.Context, c Cart) (Started, error) {
	in, err := s.Validate(c)
	if err != nil {
		return Started{}, err
	}
	id := workflows.WorkflowID(s.idKey, in.Customer.Phone)
	done, err := s.starts.wait(ctx, id)
	if err != nil {
		return Started{}, temporalError(err)
	}
	defer done()
	// A flow that ended is found through visibility only: the ID reuse policy would start it again.
	prev, err := s.find(ctx, in.Cart.ID)
	switch {
	case err == nil:
		return s.existing(ctx, prev.Run, in, prev.running())
	case !errors.Is(err, ErrNotFound):
		return Started{}, err
	}

	if err := s.policy.checkCountry(in.Customer.Phone); err != nil {
		return Started{}, err
	}
	if err := s.mayStart(ctx, in.Customer.Phone); err != nil {
		return Started{}, err
	}
	opts := client.StartWorkflowOptions{
		ID:        id,
		TaskQueue: workflows.TaskQueue,
		// One conversation per customer: Temporal refuses a second run while one is open, and
		// allows the next cart once it closed.
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    temporal.NewSearchAttributes(workflows.CartIDAttribute.ValueSet(in.Cart.ID)),
		Memo:                                     map[string]any{workflows.MemoCartID: in.Cart.ID},
		// The Web UI's run list shows it. The cart id only: it is fixed at start, and holds no
		// personal data (the summary is a payload, so the codec encrypts it too).
		StaticSummary: in.Cart.ID,
	}
	run, err := s.c.ExecuteWorkflow(ctx, opts, workflows.WorkflowName, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		// Visibility lags behind starts: the open run is read from its workflow ID directly.
		return s.existing(ctx, Run{WorkflowID: id, RunID: started.RunId}, in, true)
	}
	if err != nil {
		return Started{}, temporalError(err)
	}
	r := Run{CartID: in.Cart.ID, WorkflowID: id, RunID: run.GetRunID()}
	s.recent.add(r)
	// A failure here is a 503 although the flow runs: the storefront's retry finds the flow
	// (existing) and writes the row then.
	if err := s.recordStart(ctx, r, in); err != nil {
		return Started{}, err
	}
	return Started{Run: r}, nil
}

// existing answers Start for a cart whose customer already has run r: the same cart (Existing,
// Changed if the repost differs, and what the changes did), or another cart still running
// (*BusyError). A running flow is compared with its current cart, and takes the changes while it
// waits for its first message (repost).
func (s *Starter) existing(ctx context.Context, r Run, in workflows.Input, running bool) (Started, error) {
	had, err := s.input(ctx, r)
	if err != nil {
		return Started{}, err
	}
	r.CartID = had.Cart.ID
	if had.Cart.ID != in.Cart.ID {
		return Started{}, &BusyError{CartID: had.Cart.ID, WorkflowID: r.WorkflowID, RunID: r.RunID}
	}
	s.recent.add(r)
	out := Started{Run: r, Existing: true, Changed: !sameCustomer(had.Customer, in.Customer)}
	if running {
		answer, err := s.repost(ctx, r, in.Cart)
		if err != nil {
			return Started{}, err
		}
		out.Repost = answer
	} else if !reflect.DeepEqual(had.Cart, in.Cart) {
		out.Repost = workflows.RepostFixed
	}
	if out.Repost != "" {
		out.Changed = true
	}
	// The ledger's row of a running flow holds the cart it goes on with: this one, unless fixed.
	if running && out.Repost != workflows.RepostFixed {
		if err := s.recordStart(ctx, r, in); err != nil {
			return Started{}, err
		}
	}
	return out, nil
}

// sameCustomer compares what the storefront sent, not the clock's representation of the opt-in.
func sameCustomer(a, b workflows.Customer) bool {
	return a.Phone == b.Phone && a.Name == b.Name && a.Locale == b.Locale && a.TimeZone == b.TimeZone &&
		a.OptIn.Source == b.OptIn.Source && a.OptIn.At.Equal(b.OptIn.At)
}

// input reads the input a run was started with, from the first event of its history.
func (s *Starter) input(ctx context.Context, r Run) (workflows.Input, error) {
	it := s.c.GetWorkflowHistory(ctx, r.WorkflowID, r.RunID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return workflows.Input{}, fmt.Errorf("%w: run %s has no history", ErrNotFound, r.RunID)
	}
	ev, err := it.Next()
	if err != nil {
		if isNotFound(err) {
			return workflows.Input{}, fmt.Errorf("%w: %v", ErrNotFound, err)
		}
		return workflows.Input{}, temporalError(err)
	}
	attrs := ev.GetWorkflowExecutionStartedEventAttributes()
	if attrs == nil {
		return workflows.Input{}, fmt.Errorf("run %s: first event is %s", r.RunID, ev.GetEventType())
	}
	var in workflows.Input
	if err := s.dc.FromPayloads(attrs.GetInput(), &in); err != nil {
		return workflows.Input{}, fmt.Errorf("run %s: decoding its input: %w", r.RunID, err)
	}
	return in, nil
}
