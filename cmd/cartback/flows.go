package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cartback/cartback/config"
	"github.com/cartback/cartback/starter"
	"github.com/cartback/cartback/workflows"
)

// runStart starts a cart's flow from a JSON file, exactly as POST /v1/carts would.
func runStart(ctx context.Context, e env, log *logrus.Logger, args []string) error {
	cfg, err := loadStackConfig(e)
	if err != nil {
		return err
	}
	body, err := readInput(e, args[0])
	if err != nil {
		return err
	}
	cart, err := starter.DecodeCart(body)
	if err != nil {
		return err
	}
	// A bad cart is refused before connecting: it needs no Temporal to be wrong. Start checks it again.
	if _, err := starter.Normalize(cart, time.Now()); err != nil {
		return err
	}
	return withStarter(ctx, e, log, cfg, func(st *starter.Starter) error {
		started, err := st.Start(ctx, cart)
		if err != nil {
			return err
		}
		status := "started"
		switch {
		case started.Existing && started.Repost == workflows.RepostUpdated:
			status = "already_exists (updated: the flow goes on with this cart, its first message waiting again from now)"
		case started.Existing && started.Changed:
			status = "already_exists (changed: the flow goes on with the cart it has)"
		case started.Existing:
			status = "already_exists"
		}
		return printJSON(e, map[string]any{"cart_id": started.CartID, "workflow_id": started.WorkflowID, "run_id": started.RunID, "status": status})
	})
}

// runState prints a cart's flow.
func runState(ctx context.Context, e env, log *logrus.Logger, args []string) error {
	cfg, err := loadStackConfig(e)
	if err != nil {
		return err
	}
	return withStarter(ctx, e, log, cfg, func(st *starter.Starter) error {
		s, err := st.State(ctx, args[0])
		if errors.Is(err, starter.ErrNotFound) {
			return fmt.Errorf("no flow for cart %q", args[0])
		}
		if err != nil {
			return err
		}
		return printJSON(e, s)
	})
}

// withStarter connects to Temporal for one call.
func withStarter(ctx context.Context, e env, log *logrus.Logger, cfg config.Config, call func(*starter.Starter) error) error {
	c, err := stackClient(ctx, e, log, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	opts, err := clientOptions(e, log, cfg) // stackClient dialled with these: the same namespace
	if err != nil {
		return err
	}
	st, err := newStarter(c, opts.Namespace, db, cfg)
	if err != nil {
		return err
	}
	return call(st)
}

func readInput(e env, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(e.stdin)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("reading the cart: %w", err)
	}
	return b, nil
}

func printJSON(e env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
