package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/sirupsen/logrus"

	"github.com/cartback/cartback/phone"
	"github.com/cartback/cartback/starter"
	"github.com/cartback/cartback/store"
	"github.com/cartback/cartback/whatsapp/webhook"
	"github.com/cartback/cartback/workflows"
)

// verifyWebhook answers Meta's subscription handshake: hub.mode=subscribe with our verify token
// gets hub.challenge back as text; anything else 403.
func (s *Server) verifyWebhook(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	got := sha256.Sum256([]byte(q.Get("hub.verify_token")))
	want := sha256.Sum256([]byte(s.opts.VerifyToken))
	match := subtle.ConstantTimeCompare(got[:], want[:]) == 1
	if q.Get("hub.mode") != "subscribe" || !match || s.opts.VerifyToken == "" {
		writeError(w, &apiError{status: http.StatusForbidden, Code: "forbidden", Message: "verification failed"})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, q.Get("hub.challenge"))
}

// receiveWebhook handles Meta's notifications: 401 unsigned or wrongly signed, 413 too big, 400
// not JSON or not a webhook's top level (a malformed entry, change or item inside is logged and
// skipped, the rest delivered), 503 with Retry-After when Temporal is unreachable or overloaded
// (ResourceExhausted: transient, and logged at error level; Meta retries, and a redelivery adds
// nothing to a run, its signals carrying Meta's ids as request ids), otherwise 200, including for
// events that reach no flow and for a flow whose run refused a signal at Temporal's signal limit
// (permanent for that run: logged at error level to alert on; Meta would otherwise retry for
// days). Nothing is sent from here: signals only, so the answer is fast.
func (s *Server) receiveWebhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := webhook.VerifySignature(body, r.Header.Get("X-Hub-Signature-256"), s.opts.AppSecrets...); err != nil {
		s.fail(w, r, err)
		return
	}
	payload, err := webhook.Parse(body)
	if errors.Is(err, webhook.ErrUnexpectedObject) {
		s.log.WithError(err).Info("webhook: acknowledged a notification that is not about WhatsApp")
		w.WriteHeader(http.StatusOK)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	events, ignored := payload.Events(s.opts.PhoneNumberID)
	notes := newWebhookNotes(s.log)
	defer notes.summary()
	for _, ig := range ignored {
		fields := logrus.Fields{"waba_id": ig.WABAID, "field": ig.Field, "phone_number_id": ig.PhoneNumberID, "path": ig.Path}
		if ig.Malformed {
			// Meta would redeliver the whole batch on a non-2xx, and the item would not decode then either.
			fields["error"] = ig.Reason
			notes.add(logrus.WarnLevel, "malformed part skipped, the rest delivered", fields)
			continue
		}
		level := logrus.InfoLevel
		if ig.Warning { // a template paused or disabled, the number flagged: an operator must act
			level = logrus.WarnLevel
		}
		notes.add(level, "change acknowledged and ignored: "+ig.Reason, fields)
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	if err := s.deliverEvents(ctx, notes, events); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// maxEventsPerCustomer bounds what one webhook body may signal to one customer's flow. A shopper
// sends a handful of messages at a time, and the template's statuses are three; a body with more
// for one customer is a flood, which would fill the run's history (Temporal refuses a run's
// 10,001st signal). The rest are logged in the summary and acknowledged, save what changes consent.
const maxEventsPerCustomer = 20

// changesConsent reports the events the bound never drops: a shopper's stop or start, Meta's
// marketing preference, a number or user id change. None adds replies to a run, and a STOP after a
// flood is still a stop.
func changesConsent(e webhook.Event) bool {
	switch {
	case e.Kind == webhook.KindPreference:
		return true
	case e.Kind != webhook.KindMessage:
		return false
	case e.Message.System != nil:
		return true
	}
	return starter.ChangesConsent(workflows.Reply{Text: e.Message.Text, Payload: e.Message.Payload})
}

// webhookWorkers is how many customers' events one webhook delivers at once: Meta batches many
// customers in one body, and each signal is a round trip to Temporal.
const webhookWorkers = 8

// deliverEvents delivers each customer's events in payload order, customers in parallel. Every
// event is tried even after one failed: the others may reach their flows now, and the flows drop
// what Meta delivers again. It returns the first error worth Meta's retry.
func (s *Server) deliverEvents(ctx context.Context, notes *webhookNotes, events []webhook.Event) error {
	var (
		groups = map[string][]webhook.Event{}
		order  []string
	)
	for _, e := range events {
		if e.Kind == webhook.KindError {
			notes.add(logrus.WarnLevel, "Meta reported an error", logrus.Fields{"code": e.Error.Code, "title": e.Error.Title, "details": e.Error.Details})
			continue
		}
		k := s.customerOf(e)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		if len(groups[k]) >= maxEventsPerCustomer && !changesConsent(e) {
			notes.add(logrus.WarnLevel, fmt.Sprintf("over %d events for one customer in one webhook, acknowledged", maxEventsPerCustomer),
				logrus.Fields{"customer": k, "kind": e.Kind})
			continue
		}
		groups[k] = append(groups[k], e)
	}
	var (
		mu     sync.Mutex
		failed error
		next   = make(chan []webhook.Event)
		wg     sync.WaitGroup
	)
	for range min(webhookWorkers, len(order)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for group := range next {
				for _, e := range group {
					if err := s.deliverEvent(ctx, notes, e); err != nil {
						mu.Lock()
						if failed == nil {
							failed = err
						}
						mu.Unlock()
					}
				}
			}
		}()
	}
	for _, k := range order {
		next <- groups[k]
	}
	close(next)
	wg.Wait()
	return failed
}

// customerOf names the customer an event is about, which keeps one customer's events in order and
// names them in logs: the customer key of the number, or else the hash of the BSUID (never either
// in clear).
func (s *Server) customerOf(e webhook.Event) string {
	var number, userID string
	switch e.Kind {
	case webhook.KindMessage:
		number, userID = e.Message.From, e.Message.UserID
	case webhook.KindStatus:
		number, userID = e.Status.RecipientID, e.Status.RecipientUserID
	case webhook.KindPreference:
		number, userID = e.Preference.WaID, e.Preference.UserID
	}
	switch {
	case number != "":
		return s.starter.CustomerKey(number)
	case userID != "":
		return "bsuid:" + s.starter.UserIDHash(userID)
	}
	return ""
}

// webhookDetails is how many lines each reason gets in the log per webhook; the rest are counted
// in the summary, so that a batch of 10,000 messages from strangers is a few lines, not 10,000.
const webhookDetails = 3

// webhookNotes logs what one webhook acknowledged without effect: the first webhookDetails of
// each reason with their fields, then one summary line with the count of every reason.
type webhookNotes struct {
	log    logrus.FieldLogger
	mu     sync.Mutex
	counts map[string]int
	levels map[string]logrus.Level
	capped bool
}

func newWebhookNotes(log logrus.FieldLogger) *webhookNotes {
	return &webhookNotes{log: log, counts: map[string]int{}, levels: map[string]logrus.Level{}}
}

// add notes one event or part acknowledged for reason.
func (n *webhookNotes) add(level logrus.Level, reason string, fields logrus.Fields) {
	n.mu.Lock()
	n.counts[reason]++
	n.levels[reason] = level
	detail := n.counts[reason] <= webhookDetails
	n.capped = n.capped || !detail
	n.mu.Unlock()
	if detail {
		n.log.WithFields(fields).Log(level, "webhook: "+reason)
	}
}

// summary logs the counts when some lines were left out, at the highest level among them.
func (n *webhookNotes) summary() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.capped {
		return
	}
	level, fields := logrus.InfoLevel, logrus.Fields{}
	for reason, c := range n.counts {
		fields[reason] = c
		level = min(level, n.levels[reason]) // logrus levels: lower is more severe
	}
	n.log.WithField("counts", fields).Log(level, "webhook: summary of what was acknowledged without effect")
}

// deliverEvent acts on one event. It returns only errors worth Meta's retry (Temporal unreachable,
// or unexpected); an event that reaches no flow is noted.
func (s *Server) deliverEvent(ctx context.Context, notes *webhookNotes, e webhook.Event) error {
	switch e.Kind {
	case webhook.KindMessage:
		return s.deliverMessage(ctx, notes, e.Message)
	case webhook.KindStatus:
		return s.deliverStatus(ctx, notes, e.Status)
	case webhook.KindPreference:
		return s.deliverPreference(ctx, notes, e.Preference)
	}
	return nil
}

func (s *Server) deliverMessage(ctx context.Context, notes *webhookNotes, m *webhook.Message) error {
	fields := logrus.Fields{"customer": s.customerOf(webhook.Event{Kind: webhook.KindMessage, Message: m}), "from": phone.Mask(m.From), "message_id": m.ID, "type": m.Kind}
	who := starter.Sender{WaID: m.From, UserID: m.UserID}
	switch {
	case m.GroupID != "":
		notes.add(logrus.InfoLevel, "group message: not a customer's reply, acknowledged", fields)
		return nil
	case m.System != nil:
		return s.deliverSystem(ctx, notes, fields, who, m)
	}
	switch m.Kind {
	case webhook.MessageText, webhook.MessageButton, webhook.MessageInteractive:
	default:
		notes.add(logrus.InfoLevel, "message of a type flows do not read, acknowledged", fields)
		return nil
	}
	if m.Text == "" && m.Payload == "" {
		notes.add(logrus.InfoLevel, "message without text or payload, acknowledged", fields)
		return nil
	}
	reply := workflows.Reply{MessageID: m.ID, Kind: m.Kind, Text: m.Text, Payload: m.Payload, At: m.Timestamp}
	return acknowledged(notes, fields, s.starter.MessageFrom(ctx, who, reply))
}

// deliverSystem acts on Meta's system messages: a user's number or business-scoped user id changed.
func (s *Server) deliverSystem(ctx context.Context, notes *webhookNotes, fields logrus.Fields, who starter.Sender, m *webhook.Message) error {
	fields["system_type"] = m.System.Type
	switch m.System.Type {
	case webhook.SystemChangedNumber:
		fields["new_number"] = phone.Mask(m.System.NewWaID)
		s.log.WithFields(fields).Info("webhook: a customer changed number: suppressions follow, the old number's flow ends")
		if who.UserID == "" {
			who.UserID = m.System.PreviousUserID
		}
		return acknowledged(notes, fields, s.starter.NumberChanged(ctx, who, m.System.NewWaID, m.System.UserID, m.ID))
	case webhook.SystemChangedUserID:
		replaced, err := s.starter.UserIDChanged(ctx, m.System.PreviousUserID, m.System.UserID)
		switch {
		case errors.Is(err, store.ErrUserIDConflict):
			notes.add(logrus.WarnLevel, "user id change refused: the new user id already names another customer, acknowledged", fields)
			return nil
		case err != nil:
			return acknowledged(notes, fields, err)
		case !replaced:
			notes.add(logrus.InfoLevel, "user id change of a user id no customer has, acknowledged", fields)
			return nil
		}
		s.log.WithFields(fields).Info("webhook: a customer's business-scoped user id changed")
		return nil
	}
	notes.add(logrus.InfoLevel, "system message of a type cartback does not act on, acknowledged", fields)
	return nil
}

// deliverPreference acts on a shopper's choice about marketing messages in WhatsApp itself.
func (s *Server) deliverPreference(ctx context.Context, notes *webhookNotes, p *webhook.Preference) error {
	fields := logrus.Fields{"customer": s.customerOf(webhook.Event{Kind: webhook.KindPreference, Preference: p}), "category": p.Category, "value": p.Value}
	if p.Category != webhook.CategoryMarketing || (p.Value != webhook.PreferenceStop && p.Value != webhook.PreferenceResume) {
		notes.add(logrus.InfoLevel, "user preference acknowledged: not one cartback acts on", fields)
		return nil
	}
	s.log.WithFields(fields).Info("webhook: user preference changed")
	return acknowledged(notes, fields, s.starter.Preference(ctx, starter.Sender{WaID: p.WaID, UserID: p.UserID}, p.Value == webhook.PreferenceStop))
}

func (s *Server) deliverStatus(ctx context.Context, notes *webhookNotes, st *webhook.Status) error {
	fields := logrus.Fields{"customer": s.customerOf(webhook.Event{Kind: webhook.KindStatus, Status: st}), "message_id": st.MessageID, "status": st.Status}
	out := workflows.Status{MessageID: st.MessageID, Status: st.Status, At: st.Timestamp}
	for _, e := range st.Errors {
		out.Errors = append(out.Errors, workflows.StatusError{Code: e.Code, Title: e.Title})
	}
	return acknowledged(notes, fields, s.starter.Status(ctx, st.CallbackData, starter.Sender{WaID: st.RecipientID, UserID: st.RecipientUserID}, out))
}

// acknowledged turns what no retry can change into a note: no open flow, or a flow whose run
// takes no more signals. The latter is answered 200 too, since Meta redelivers anything else for
// days and would get the same refusal, with every other event of the batch, each time; it is
// logged at error level, to alert on: a flow was flooded past the per-webhook bound.
func acknowledged(notes *webhookNotes, fields logrus.Fields, err error) error {
	switch {
	case errors.Is(err, starter.ErrNotFound):
		notes.add(logrus.InfoLevel, "no active flow for this customer, acknowledged", fields)
		return nil
	case errors.Is(err, starter.ErrUnknownUser):
		notes.add(logrus.InfoLevel, "a business-scoped user id no webhook has paired with a number yet, acknowledged", fields)
		return nil
	case errors.Is(err, starter.ErrNoSender):
		notes.add(logrus.WarnLevel, "no number and no business-scoped user id, acknowledged", fields)
		return nil
	case errors.Is(err, starter.ErrSignalLimit):
		fields["error"] = err.Error()
		notes.add(logrus.ErrorLevel, "ALERT: the flow refused a signal, its run reached Temporal's signal limit; acknowledged", fields)
		return nil
	}
	return err
}
