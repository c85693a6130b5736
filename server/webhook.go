package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"

	"github.com/sirupsen/logrus"

	"github.com/cartback/cartback/phone"
	"github.com/cartback/cartback/starter"
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
// skipped, the rest delivered), 503 Temporal unreachable (Meta retries; flows drop duplicate messages),
// otherwise 200, including for events that reach no flow (Meta would retry those for days).
// Nothing is sent from here: signals only, so the answer is fast.
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
	for _, ig := range ignored {
		log := s.log.WithFields(logrus.Fields{"waba_id": ig.WABAID, "field": ig.Field, "phone_number_id": ig.PhoneNumberID, "path": ig.Path})
		if ig.Malformed {
			// Meta would redeliver the whole batch on a non-2xx, and the item would not decode then either.
			log.Warn("webhook: malformed part skipped, the rest delivered: " + ig.Reason)
			continue
		}
		log.Info("webhook: change acknowledged and ignored: " + ig.Reason)
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	// Every event is tried even after one failed: the others may reach their flows now, and the
	// flows drop what Meta delivers again.
	var failed error
	for _, e := range events {
		if err := s.deliverEvent(ctx, e); err != nil && failed == nil {
			failed = err
		}
	}
	if failed != nil {
		s.fail(w, r, failed)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// deliverEvent acts on one event. It returns only errors worth Meta's retry (Temporal unreachable,
// or unexpected); an event that reaches no flow is logged.
func (s *Server) deliverEvent(ctx context.Context, e webhook.Event) error {
	switch e.Kind {
	case webhook.KindMessage:
		return s.deliverMessage(ctx, e.Message)
	case webhook.KindStatus:
		return s.deliverStatus(ctx, e.Status)
	case webhook.KindPreference:
		return s.deliverPreference(ctx, e.Preference)
	case webhook.KindError:
		s.log.WithFields(logrus.Fields{"code": e.Error.Code, "title": e.Error.Title, "details": e.Error.Details}).
			Warn("webhook: Meta reported an error")
	}
	return nil
}

func (s *Server) deliverMessage(ctx context.Context, m *webhook.Message) error {
	log := s.log.WithFields(logrus.Fields{"customer": s.starter.CustomerKey(m.From), "from": phone.Mask(m.From), "message_id": m.ID, "type": m.Kind})
	switch m.Kind {
	case webhook.MessageText, webhook.MessageButton, webhook.MessageInteractive:
	default:
		log.Info("webhook: message of a type flows do not read, acknowledged")
		return nil
	}
	if m.Text == "" && m.Payload == "" {
		log.Info("webhook: message without text or payload, acknowledged")
		return nil
	}
	reply := workflows.Reply{MessageID: m.ID, Kind: m.Kind, Text: m.Text, Payload: m.Payload, At: m.Timestamp}
	return s.acknowledged(log, s.starter.Message(ctx, m.From, reply))
}

// deliverPreference acts on a shopper's choice about marketing messages in WhatsApp itself.
func (s *Server) deliverPreference(ctx context.Context, p *webhook.Preference) error {
	log := s.log.WithFields(logrus.Fields{"customer": s.starter.CustomerKey(p.WaID), "category": p.Category, "value": p.Value})
	if p.Category != webhook.CategoryMarketing || (p.Value != webhook.PreferenceStop && p.Value != webhook.PreferenceResume) {
		log.Info("webhook: user preference acknowledged: not one cartback acts on")
		return nil
	}
	log.Info("webhook: user preference changed")
	return s.acknowledged(log, s.starter.Preference(ctx, p.WaID, p.Value == webhook.PreferenceStop))
}

func (s *Server) deliverStatus(ctx context.Context, st *webhook.Status) error {
	log := s.log.WithFields(logrus.Fields{"customer": s.starter.CustomerKey(st.RecipientID), "message_id": st.MessageID, "status": st.Status})
	out := workflows.Status{MessageID: st.MessageID, Status: st.Status, At: st.Timestamp}
	for _, e := range st.Errors {
		out.Errors = append(out.Errors, workflows.StatusError{Code: e.Code, Title: e.Title})
	}
	return s.acknowledged(log, s.starter.Status(ctx, st.CallbackData, st.RecipientID, out))
}

// acknowledged turns "no open flow" into a log line: it is not worth a retry.
func (s *Server) acknowledged(log logrus.FieldLogger, err error) error {
	if errors.Is(err, starter.ErrNotFound) {
		log.Info("webhook: no active flow for this customer, acknowledged")
		return nil
	}
	return err
}
