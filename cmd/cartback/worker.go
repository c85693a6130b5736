package main

import (
	"context"
	"fmt"

	"github.com/sirupsen/logrus"
	"go.temporal.io/sdk/client"

	"github.com/cartback/cartback/activities"
	"github.com/cartback/cartback/config"
	"github.com/cartback/cartback/coupon"
	"github.com/cartback/cartback/events"
	"github.com/cartback/cartback/whatsapp"
	"github.com/cartback/cartback/worker"
)

// runWorker runs the flows and their sends until ctx ends.
func runWorker(ctx context.Context, e env, log *logrus.Logger, args []string) error {
	cfg, err := loadConfig(e, config.Config.RequireWorker)
	if err != nil {
		return err
	}
	c, namespace, err := temporalClient(ctx, e, log, cfg, false)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := worker.EnsureSearchAttributes(ctx, c, namespace); err != nil {
		return err
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	w, err := newWorker(cfg, c, db, log)
	if err != nil {
		return err
	}
	log.Info("starting the worker")
	// Run returns when ctx ends (nil, after the activities in flight finished) or when a worker
	// failed for good, and then the process exits non-zero rather than polling nothing.
	if err := w.Run(ctx); err != nil {
		return fmt.Errorf("the worker stopped: %w", err)
	}
	log.Info("worker stopped")
	return nil
}

// newWorker builds the worker over c: the Graph API client and the outcome reporter of cfg.
func newWorker(cfg config.Config, c client.Client, consent activities.Consent, log logrus.FieldLogger) (*worker.Worker, error) {
	wa, err := whatsapp.NewClient(whatsapp.Config{
		BaseURL: cfg.WhatsApp.BaseURL, Version: cfg.WhatsApp.Version,
		PhoneNumberID: cfg.WhatsApp.PhoneNumberID, Token: cfg.WhatsApp.Token,
	})
	if err != nil {
		return nil, fmt.Errorf("WhatsApp settings (WHATSAPP_*): %w", err)
	}
	dc, err := dataConverter(cfg)
	if err != nil {
		return nil, err
	}
	a := &activities.Activities{WhatsApp: wa, Consent: consent, IDKey: cfg.IDKey,
		TemplateName: cfg.WhatsApp.TemplateName, TemplateLanguage: cfg.WhatsApp.TemplateLanguage,
		Proofs:       worker.HistoryProofs{Client: c, DataConverter: dc},
		CouponSecret: cfg.Coupons.Secret}
	if cfg.Coupons.URL != "" {
		a.Coupons = &coupon.Fetcher{URL: cfg.Coupons.URL, Secret: []byte(cfg.Events.Secret)}
	}
	if cfg.Events.URL != "" {
		a.Reporter = &events.Reporter{URL: cfg.Events.URL, Secret: []byte(cfg.Events.Secret)}
	} else {
		log.Warn("CARTBACK_EVENTS_URL is not set: flows' outcomes are only logged")
	}
	return worker.New(c, a, cfg.SendsPerSecond), nil
}
