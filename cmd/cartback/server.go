package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/sirupsen/logrus"
	"go.temporal.io/sdk/client"

	"github.com/cartback/cartback/config"
	"github.com/cartback/cartback/server"
	"github.com/cartback/cartback/shopify"
	"github.com/cartback/cartback/starter"
	"github.com/cartback/cartback/uicodec"
)

// shutdownGrace is how long in-flight requests get to finish after SIGTERM.
const shutdownGrace = 10 * time.Second

// runServer serves the HTTP API on CARTBACK_HTTP_ADDR until ctx ends, then drains.
func runServer(ctx context.Context, e env, log *logrus.Logger, args []string) error {
	cfg, err := loadConfig(e, config.Config.RequireServer)
	if err != nil {
		return err
	}
	c, namespace, err := temporalClient(ctx, e, log, cfg, true, starter.FailFast()...)
	if err != nil {
		return err
	}
	defer c.Close()
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	h, err := newHandler(cfg, c, namespace, db, log)
	if err != nil {
		return err
	}
	routes, err := withCodecEndpoint(h, cfg, log)
	if err != nil {
		return err
	}
	ln, err := listen(cfg.HTTPAddr)
	if err != nil {
		return err
	}
	return serve(ctx, ln, routes, log)
}

// withCodecEndpoint adds the Web UI's codec endpoint to h when CARTBACK_CODEC_ORIGIN asks for it.
func withCodecEndpoint(h http.Handler, cfg config.Config, log logrus.FieldLogger) (http.Handler, error) {
	if cfg.Codec.Origin == "" {
		if len(cfg.Payload.Keys) > 0 {
			log.Info("payloads are encrypted and the Web UI shows them so: set CARTBACK_CODEC_ORIGIN and CARTBACK_CODEC_SECRET (or CARTBACK_CODEC_OIDC_*) to serve it the codec endpoint")
		}
		return h, nil
	}
	opts := uicodec.Options{Origin: cfg.Codec.Origin, Secret: cfg.Codec.Secret, Log: log}
	if cfg.Codec.OIDCIssuer != "" {
		verifier, err := uicodec.NewOIDC(cfg.Codec.OIDCIssuer, cfg.Codec.OIDCAudience, nil, nil)
		if err != nil {
			return nil, err
		}
		opts.OIDC = verifier
	}
	codec, err := newCodecEndpoint(cfg, opts)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(uicodec.Prefix+"/", codec)
	mux.Handle("/", h)
	return mux, nil
}

// newHandler builds the HTTP server over c (of namespace) with the keys and secrets of cfg.
func newHandler(cfg config.Config, c client.Client, namespace string, consent starter.Consent, log logrus.FieldLogger) (*server.Server, error) {
	st, err := newStarter(c, namespace, consent, cfg)
	if err != nil {
		return nil, err
	}
	optIn, err := shopify.ParseOptIn(cfg.Shopify.OptIn)
	if err != nil {
		return nil, fmt.Errorf("CARTBACK_SHOPIFY_OPT_IN: %w", err)
	}
	return server.New(st, server.Options{
		APIKey:         cfg.APIKey,
		AppSecrets:     []string{cfg.WhatsApp.AppSecret, cfg.WhatsApp.AppSecretPrevious},
		VerifyToken:    cfg.WhatsApp.VerifyToken,
		PhoneNumberID:  cfg.WhatsApp.PhoneNumberID,
		Log:            log,
		CouponSecret:   cfg.Coupons.Secret,
		ShopifySecrets: []string{cfg.Shopify.Secret, cfg.Shopify.SecretPrevious},
		ShopifyOptIn:   optIn,
	})
}

// listen opens the HTTP address; a taken or malformed one names its variable.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s (CARTBACK_HTTP_ADDR): %w", addr, err)
	}
	return ln, nil
}

// serve serves h on ln until ctx ends, then lets in-flight requests finish.
func serve(ctx context.Context, ln net.Listener, h http.Handler, log logrus.FieldLogger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.WithField("addr", ln.Addr().String()).Info("server listening")

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down the server")
	shutdown, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
