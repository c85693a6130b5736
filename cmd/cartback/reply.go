package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/cartback/cartback/config"
	"github.com/cartback/cartback/sandbox"
)

// runReply answers as the shopper in the sandbox of the dev stack listening on CARTBACK_HTTP_ADDR:
// the sandbox posts the message to our webhook, signed, exactly as Meta would.
func runReply(ctx context.Context, e env, args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("%w: reply takes a phone number and the text", errUsage)
	}
	cfg, err := loadConfig(e, func(config.Config) error { return nil })
	if err != nil {
		return err
	}
	if err := sandbox.PostReply(ctx, "http://"+cfg.HTTPAddr, args[0], strings.Join(args[1:], " ")); err != nil {
		return fmt.Errorf("replying through the sandbox at %s (CARTBACK_HTTP_ADDR; is `cartback dev` running?): %w", cfg.HTTPAddr, err)
	}
	_, err = fmt.Fprintln(e.stdout, "sent")
	return err
}
