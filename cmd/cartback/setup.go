package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/converter"
	"google.golang.org/grpc"

	"github.com/cartback/cartback/config"
	"github.com/cartback/cartback/messages"
	"github.com/cartback/cartback/payloadcrypt"
	"github.com/cartback/cartback/starter"
	"github.com/cartback/cartback/store"
	"github.com/cartback/cartback/uicodec"
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

// loadStackConfig reads the settings of start, state and reply, which talk to a running stack:
// cartback's, with the ID key of CARTBACK_ID_KEY or else the dev stack's, and then the dev stack's
// payload key too unless CARTBACK_PAYLOAD_KEYS is set.
func loadStackConfig(e env) (config.Config, error) {
	cfg, err := loadConfig(e, func(config.Config) error { return nil })
	if err != nil {
		return config.Config{}, err
	}
	devStack := len(cfg.IDKey) == 0
	if err := stackIDKey(&cfg); err != nil {
		return config.Config{}, err
	}
	if devStack && cfg.Payload.Keys == nil { // unset; none is off
		if err := stackPayloadKey(&cfg); err != nil {
			return config.Config{}, err
		}
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
// Temporal is down. dial adds gRPC options (starter.FailFast for the API's client).
func temporalClient(ctx context.Context, e env, log logrus.FieldLogger, cfg config.Config, lazy bool, dial ...grpc.DialOption) (client.Client, string, error) {
	opts, err := clientOptions(e, log, cfg)
	if err != nil {
		return nil, "", err
	}
	opts.ConnectionOptions.DialOptions = append(opts.ConnectionOptions.DialOptions, dial...)
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

// clientOptions is the Temporal client's settings, from the SDK's envconfig, with our logger and
// cfg's payload encryption.
func clientOptions(e env, log logrus.FieldLogger, cfg config.Config) (client.Options, error) {
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{EnvLookup: envLookup{e}})
	if err != nil {
		return client.Options{}, fmt.Errorf("invalid Temporal client settings (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_*, TEMPORAL_API_KEY): %w", err)
	}
	opts.Logger = worker.NewLogger(log)
	c, err := payloadCodec(cfg)
	if err != nil {
		return client.Options{}, err
	}
	opts.DataConverter, opts.FailureConverter = payloadcrypt.DataConverter(c), payloadcrypt.FailureConverter(c)
	if opts.Namespace == "" {
		opts.Namespace = client.DefaultNamespace
	}
	return opts, nil
}

func hostPort(o client.Options) string {
	if o.HostPort == "" {
		return client.DefaultHostPort
	}
	return o.HostPort
}

// devHost is where `cartback dev` serves its Temporal (devserver.DefaultIP: devserver itself is
// left out of the production build).
const devHost = "127.0.0.1"

// connectTimeout bounds how long start, state and reply wait for Temporal to answer: they make
// one call, and a person waits for it.
const connectTimeout = 5 * time.Second

// stackClient connects start, state and reply to Temporal: where TEMPORAL_ADDRESS or a
// TEMPORAL_CONFIG_FILE profile says, or else to the dev stack's, 127.0.0.1:CARTBACK_TEMPORAL_PORT,
// so that they work against a running `cartback dev` with nothing set. A Temporal that does not
// answer within connectTimeout is one line, naming the address and where it came from.
func stackClient(ctx context.Context, e env, log logrus.FieldLogger, cfg config.Config) (client.Client, error) {
	opts, err := clientOptions(e, log, cfg)
	if err != nil {
		return nil, err
	}
	source, advice := "TEMPORAL_ADDRESS", ""
	if _, set := e.lookup("TEMPORAL_ADDRESS"); !set {
		source = "a TEMPORAL_CONFIG_FILE profile's address"
	}
	if opts.HostPort == "" {
		opts.HostPort = net.JoinHostPort(devHost, strconv.Itoa(cfg.Dev.TemporalPort))
		source, advice = "the dev stack's, CARTBACK_TEMPORAL_PORT", "; is `cartback dev` running?"
	}
	opts.ConnectionOptions.GetSystemInfoTimeout = connectTimeout
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	c, err := client.DialContext(ctx, opts)
	if err == nil {
		return c, nil
	}
	if why, ok := unreachable(err); ok {
		return nil, fmt.Errorf("cannot reach Temporal at %s (%s): %s%s", opts.HostPort, source, why, advice)
	}
	return nil, fmt.Errorf("connecting to Temporal at %s (%s): %w", opts.HostPort, source, err)
}

// unreachable says why Temporal did not answer (nothing listening, a wrong host, TLS, too slow),
// in the last words of gRPC's explanation, which repeats the address and wraps the cause several
// times. A Temporal that answered with a refusal (ok false) keeps its own words. The SDK turns
// gRPC's codes into serviceerror's types.
func unreachable(err error) (why string, ok bool) {
	var (
		unavailable *serviceerror.Unavailable
		deadline    *serviceerror.DeadlineExceeded
	)
	switch {
	case errors.As(err, &unavailable) && strings.Contains(unavailable.Message, "no children to pick from"):
		return "its host name resolves to no address", true // gRPC's words for it
	case errors.As(err, &unavailable):
		return lastWords(unavailable.Message), true
	case errors.As(err, &deadline) || errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no answer within %v", connectTimeout), true
	}
	return "", false
}

// lastWords is the innermost cause of an error message that wraps it as "a: b: c": "c".
func lastWords(msg string) string {
	msg = strings.Trim(msg, `" `)
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return strings.Trim(msg, `" `)
}

// idKeyFile is the name of the file in the data directory where `cartback dev` keeps the
// workflow ID key it generated.
const idKeyFile = "id_key"

// readSecret reads a secret kept in path by `cartback dev`; a missing file is os.ErrNotExist.
func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// stackIDKey gives start, state and reply, when CARTBACK_ID_KEY is unset, the key the dev stack
// keeps in its data directory: a flow's workflow ID depends on it, and the dev stack's flows were
// started with that one.
func stackIDKey(cfg *config.Config) error {
	if len(cfg.IDKey) > 0 {
		return nil
	}
	path := filepath.Join(cfg.Dev.DataDir, idKeyFile)
	if !filepath.IsAbs(path) && !strings.HasPrefix(path, "..") {
		path = "." + string(filepath.Separator) + path // "./.cartback/id_key" reads as a path
	}
	v, err := readSecret(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("no workflow ID key: set CARTBACK_ID_KEY, or run `cartback dev` first, which keeps one in %s (CARTBACK_DATA_DIR)", path)
	case err != nil:
		return fmt.Errorf("reading the workflow ID key of `cartback dev` (CARTBACK_DATA_DIR): %w", err)
	case v == "":
		return fmt.Errorf("%s is empty: set CARTBACK_ID_KEY, or delete the file and run `cartback dev`, which writes a new one", path)
	}
	cfg.IDKey = []byte(v)
	return nil
}

// payloadKeyFile is the name of the file in the data directory where `cartback dev` keeps the
// payload key it generated, as CARTBACK_PAYLOAD_KEYS writes one: `id:base64key`.
const payloadKeyFile = "payload_key"

// payloadCodec is the encryption of cfg's payload keys; nil when no key is set (off).
func payloadCodec(cfg config.Config) (*payloadcrypt.Codec, error) {
	if len(cfg.Payload.Keys) == 0 {
		return nil, nil
	}
	c, err := payloadcrypt.New(cfg.Payload.Keys, cfg.Payload.KeyID)
	if err != nil {
		return nil, fmt.Errorf("payload encryption (CARTBACK_PAYLOAD_KEYS, CARTBACK_PAYLOAD_KEY_ID): %w", err)
	}
	return c, nil
}

// dataConverter is what every client and worker encodes payloads with: the SDK's default, through
// the payload codec when encryption is on.
func dataConverter(cfg config.Config) (converter.DataConverter, error) {
	c, err := payloadCodec(cfg)
	if err != nil {
		return nil, err
	}
	return payloadcrypt.DataConverter(c), nil
}

// readPayloadKey reads the one key `cartback dev` keeps in path into cfg.
func readPayloadKey(cfg *config.Config, path string) error {
	v, err := readSecret(path)
	if err != nil {
		return err
	}
	keys, err := payloadcrypt.ParseKeys(v)
	if err != nil || len(keys) != 1 {
		return fmt.Errorf("%s holds no payload key of the form id:base64key: restore it from a backup, or set CARTBACK_PAYLOAD_KEYS (a new key cannot read the flows sealed with the old one)", path)
	}
	cfg.Payload.Keys, cfg.Payload.KeyID = keys, keys.IDs()[0]
	return nil
}

// stackPayloadKey gives start, state and reply beside the dev stack the payload key it keeps in its
// data directory, if it keeps one (a stack started before it had encryption keeps none).
func stackPayloadKey(cfg *config.Config) error {
	err := readPayloadKey(cfg, filepath.Join(cfg.Dev.DataDir, payloadKeyFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// newCodecEndpoint is the Web UI's codec endpoint with opts (its origin and credentials) over cfg's
// payload encryption; nil when encryption is off.
func newCodecEndpoint(cfg config.Config, opts uicodec.Options) (*uicodec.Handler, error) {
	c, err := payloadCodec(cfg)
	if err != nil || c == nil {
		return nil, err
	}
	opts.Codec = c
	return uicodec.New(opts)
}

// newStarter builds the starter over c (of namespace) and cartback's store with the flow settings
// and the messaging policy of cfg; it reads flows' inputs with c's payload encryption.
func newStarter(c client.Client, namespace string, consent starter.Consent, cfg config.Config) (*starter.Starter, error) {
	dc, err := dataConverter(cfg)
	if err != nil {
		return nil, err
	}
	msgs, err := messages.Load(cfg.Flow.MessagesFile)
	if err != nil {
		return nil, err
	}
	return starter.New(c, starter.Options{
		IDKey:         cfg.IDKey,
		DataConverter: dc,
		Namespace:     namespace,
		Settings: workflows.Settings{ReplyWindow: cfg.Flow.ReplyWindow, CouponCode: cfg.Flow.CouponCode,
			ReplyGrace: workflows.Duration(cfg.Flow.ReplyGrace), SendDelay: workflows.Duration(cfg.Flow.SendDelay), QuietHours: cfg.Flow.QuietHours,
			CouponDiscount: cfg.Flow.CouponDiscount, CouponMode: cfg.Flow.CouponMode},
		Messages: msgs,
		Consent:  consent,
		Policy: starter.Policy{AllowCountries: cfg.Policy.AllowCountries, DenyCountries: cfg.Policy.DenyCountries,
			FrequencyCap: cfg.Policy.FrequencyCap},
		AttributionWindow: cfg.AttributionWindow,
	})
}

// devStoreFile is the name of `cartback dev`'s store in its data directory.
const devStoreFile = "cartback.db"

// openStore opens cartback's store: CARTBACK_DATABASE_URL, or else (dev, and start and state
// beside it) the SQLite file in the dev stack's data directory.
func openStore(ctx context.Context, cfg config.Config) (*store.Store, error) {
	url := cfg.DatabaseURL
	if url == "" {
		url = store.SQLiteURL(filepath.Join(cfg.Dev.DataDir, devStoreFile))
	}
	s, err := store.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("opening cartback's store (CARTBACK_DATABASE_URL): %w", err)
	}
	return s, nil
}
