package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cartback/cartback/config"
	"github.com/cartback/cartback/server"
)

// shutdownGrace is how long in-flight requests get to finish after SIGTERM.
const shutdownGrace = 10 * time.Second

// runServer serves the HTTP API on CARTBACK_HTTP_ADDR until ctx ends, then drains.
func runServer(ctx context.Context, e env, log *logrus.Logger, args []string) error {
	if len(args) != 0 {
		return fmt.Errorf("%w: server takes no arguments", errUsage)
	}
	cfg, err := loadConfig(e, config.Config.RequireServer)
	if err != nil {
		return err
	}
	c, _, err := temporalClient(ctx, e, log, true)
	if err != nil {
		return err
	}
	defer c.Close()
	st, err := newStarter(c, cfg)
	if err != nil {
		return err
	}
	h, err := server.New(st, server.Options{
		APIKey:        cfg.APIKey,
		AppSecrets:    []string{cfg.WhatsApp.AppSecret, cfg.WhatsApp.AppSecretPrevious},
		VerifyToken:   cfg.WhatsApp.VerifyToken,
		PhoneNumberID: cfg.WhatsApp.PhoneNumberID,
		Log:           log,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listening on %s (CARTBACK_HTTP_ADDR): %w", cfg.HTTPAddr, err)
	}
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
