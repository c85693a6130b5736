package main

import (
	"context"
	"fmt"
	"os"

	"github.com/sirupsen/logrus"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/cartback/cartback/config"
	"github.com/cartback/cartback/starter"
	"github.com/cartback/cartback/worker"
	"github.com/cartback/cartback/workflows"
)

// loadConfig reads cartback's settings and checks the ones the command needs (require is one of
// config.Config's Require methods). Every problem names its variable.
func loadConfig(e env, require func(config.Config) error) (config.Config, error) {
	cfg, err := config.Load(e.lookup)
	if err != nil {
		return config.Config{}, fmt.Errorf("invalid settings:\n%w", err)
	}
	if err := require(cfg); err != nil {
		return config.Config{}, err
	}
	return cfg, nil
}

// envLookup adapts env to envconfig, which also lists the environment (for gRPC headers).
type envLookup struct{ e env }

func (l envLookup) LookupEnv(key string) (string, bool) { return l.e.lookup(key) }

// Environ is the process environment: envconfig scans it for TEMPORAL_GRPC_META_* only.
func (envLookup) Environ() []string { return os.Environ() }

// temporalClient connects to Temporal as TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_* and
// TEMPORAL_API_KEY say, through the SDK's own envconfig, and returns it with its namespace. lazy
// connects on first use instead of now: the server must start (and answer /readyz 503) while
// Temporal is down.
func temporalClient(ctx context.Context, e env, log logrus.FieldLogger, lazy bool) (client.Client, string, error) {
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{EnvLookup: envLookup{e}})
	if err != nil {
		return nil, "", fmt.Errorf("invalid Temporal client settings (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_*, TEMPORAL_API_KEY): %w", err)
	}
	opts.Logger = worker.NewLogger(log)
	if opts.Namespace == "" {
		opts.Namespace = client.DefaultNamespace
	}
	if lazy {
		c, err := client.NewLazyClient(opts)
		return c, opts.Namespace, err
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, "", fmt.Errorf("connecting to Temporal at %s (TEMPORAL_ADDRESS): %w", hostPort(opts), err)
	}
	return c, opts.Namespace, nil
}

func hostPort(o client.Options) string {
	if o.HostPort == "" {
		return client.DefaultHostPort
	}
	return o.HostPort
}

// newStarter builds the starter over c with the flow settings of cfg.
func newStarter(c client.Client, cfg config.Config) (*starter.Starter, error) {
	return starter.New(c, starter.Options{
		IDKey:    cfg.IDKey,
		Settings: workflows.Settings{ReplyWindow: cfg.Flow.ReplyWindow, CouponCode: cfg.Flow.CouponCode},
	})
}
