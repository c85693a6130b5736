//go:build !nodev

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"github.com/sirupsen/logrus"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"

	"github.com/cartback/cartback/config"
	"github.com/cartback/cartback/devserver"
	"github.com/cartback/cartback/payloadcrypt"
	"github.com/cartback/cartback/sandbox"
	"github.com/cartback/cartback/server"
	"github.com/cartback/cartback/starter"
	"github.com/cartback/cartback/uicodec"
	"github.com/cartback/cartback/worker"
	"github.com/cartback/cartback/workflows"
)

// sandboxPhoneNumberID is the business number's id in the sandbox: any digits do, as the sandbox
// is both ends of the conversation.
const sandboxPhoneNumberID = "100000000000001"

// runDev runs everything in one process: Temporal and its Web UI (unless TEMPORAL_ADDRESS names a
// cluster), the worker, the HTTP server and, without WhatsApp credentials, the sandbox.
func runDev(ctx context.Context, e env, log *logrus.Logger, args []string) error {
	cfg, err := loadConfig(e, func(config.Config) error { return nil })
	if err != nil {
		return err
	}
	_, useCluster := e.lookup("TEMPORAL_ADDRESS")
	stack, err := startDev(ctx, e, log, cfg, devOptions{useCluster: useCluster})
	if err != nil {
		return err
	}
	stack.describe(e.stdout)
	var failed error
	select {
	case <-ctx.Done():
	case err := <-stack.worker.Failed():
		failed = fmt.Errorf("the worker stopped: %w", err)
	}
	return errors.Join(failed, stack.stop())
}

// devStack is what `cartback dev` runs; stop stops it in the order that loses no request.
type devStack struct {
	cfg      config.Config
	temporal *devserver.Server // nil on a cluster
	client   client.Client     // the worker's
	// apiClient is the HTTP API's, which fails fast while Temporal is down (starter.FailFast).
	apiClient client.Client
	ns        string           // the clients' namespace, which the webhook's exactly-once signals name
	sandbox   *sandbox.Sandbox // nil with real WhatsApp credentials
	worker    *worker.Worker   // nil until it runs
	baseURL   string
	// gate stands before cartback's own routes: 503 until they exist, and again while stopping.
	gate server.Gate
	// stopHTTP stops the listener, which also serves the sandbox and its fake Graph API.
	stopHTTP func() error
	// closers close the rest (data directory lock, sandbox, Temporal, client, store), in the
	// order they were opened; stop runs them last first.
	closers []func() error
}

// devOptions are how a dev stack differs from the default: on a cluster, or (fault tests) with a
// sandbox whose Graph API answers slowly.
type devOptions struct {
	useCluster       bool
	graphAnswerDelay time.Duration
}

// startDev starts the stack. cfg's ports may be 0 (tests): any free port is then taken.
func startDev(ctx context.Context, e env, log *logrus.Logger, cfg config.Config, opts devOptions) (_ *devStack, err error) {
	s := &devStack{cfg: cfg}
	// On any failure, stop what had started (the named result is nil by then: use s).
	defer func() {
		if err != nil {
			_ = s.stop()
		}
	}()
	if err := s.keys(); err != nil {
		return nil, err
	}
	// Serve first: a taken port fails before anything else starts, the sandbox needs the server's
	// address for its webhooks, the worker the sandbox's Graph API, and a caller gets 503 from the
	// first byte rather than 404 while Temporal starts.
	ln, err := listen(cfg.HTTPAddr)
	if err != nil {
		return nil, err
	}
	s.baseURL = "http://" + ln.Addr().String()
	mux := http.NewServeMux()
	mux.Handle("/", &s.gate)
	serveCtx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(serveCtx, ln, mux, log) }()
	s.stopHTTP = func() error { cancel(); return <-served }

	if err := s.whatsApp(mux, log, opts.graphAnswerDelay); err != nil {
		return nil, err
	}
	if err := s.connect(ctx, e, log, opts.useCluster); err != nil {
		return nil, err
	}
	db, err := openStore(ctx, s.cfg)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, db.Close)
	w, err := newWorker(s.cfg, s.client, db, log)
	if err != nil {
		return nil, err
	}
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("starting the worker: %w", err)
	}
	s.worker = w
	h, err := newHandler(s.cfg, s.apiClient, s.ns, db, log)
	if err != nil {
		return nil, err
	}
	if err := s.codecEndpoint(mux); err != nil {
		return nil, err
	}
	s.gate.Open(h)
	return s, nil
}

// codecEndpoint serves the embedded Web UI the payload codec, so that it shows payloads decrypted:
// to the UI's origin only, and with no login, as both listen on loopback only (the UI shows every
// flow without one).
func (s *devStack) codecEndpoint(mux *http.ServeMux) error {
	if s.temporal == nil || s.temporal.UIAddress() == "" {
		return nil
	}
	h, err := newCodecEndpoint(s.cfg, uicodec.Options{Origin: s.temporal.UIAddress()})
	if err != nil || h == nil {
		return err
	}
	mux.Handle(uicodec.Prefix+"/", h)
	return nil
}

// keys reads CARTBACK_API_KEY, CARTBACK_ID_KEY and CARTBACK_PAYLOAD_KEYS from the environment or,
// when unset, from the data directory, where the first start generates them: the ID key and the
// payload key must never change under flows that are waiting, and a key the developer has copied
// into a script should keep working.
func (s *devStack) keys() error {
	if err := os.MkdirAll(s.cfg.Dev.DataDir, 0o700); err != nil {
		return fmt.Errorf("creating the data directory (CARTBACK_DATA_DIR): %w", err)
	}
	if err := s.lockDataDir(); err != nil {
		return err
	}
	if s.cfg.APIKey == "" {
		v, err := storedSecret(filepath.Join(s.cfg.Dev.DataDir, "api_key"), randomHex)
		if err != nil {
			return err
		}
		s.cfg.APIKey = v
	}
	if len(s.cfg.IDKey) == 0 {
		v, err := storedSecret(filepath.Join(s.cfg.Dev.DataDir, idKeyFile), randomHex)
		if err != nil {
			return err
		}
		s.cfg.IDKey = []byte(v)
	}
	if s.cfg.Payload.Keys == nil { // unset; CARTBACK_PAYLOAD_KEYS=none is off
		path := filepath.Join(s.cfg.Dev.DataDir, payloadKeyFile)
		if _, err := storedSecret(path, newPayloadKey); err != nil {
			return err
		}
		if err := readPayloadKey(&s.cfg, path); err != nil {
			return err
		}
	}
	return nil
}

// newPayloadKey is a payload key as CARTBACK_PAYLOAD_KEYS writes one, under an id of its own, so
// that a payload sealed by a deleted key names a key that is not there rather than failing to open.
func newPayloadKey() string {
	return payloadcrypt.Keys{"dev-" + randomHex()[:8]: payloadcrypt.NewKey()}.String()
}

// dataDirLock is the file whose lock says a `cartback dev` runs on the data directory.
const dataDirLock = "lock"

// lockDataDir takes the data directory for this stack until it stops: a second `cartback dev` on
// it would share its SQLite files and the sandbox's state. The lock dies with the process.
func (s *devStack) lockDataDir() error {
	l := flock.New(filepath.Join(s.cfg.Dev.DataDir, dataDirLock))
	locked, err := l.TryLock()
	switch {
	case err != nil:
		return fmt.Errorf("locking the data directory (CARTBACK_DATA_DIR): %w", err)
	case !locked:
		return fmt.Errorf("another `cartback dev` is running on %s: stop it, or give this one its own CARTBACK_DATA_DIR", s.cfg.Dev.DataDir)
	}
	s.closers = append(s.closers, l.Unlock)
	return nil
}

// storedSecret reads a secret kept in path, creating it with generate on first use.
func storedSecret(path string, generate func() string) (string, error) {
	v, err := readSecret(path)
	if !errors.Is(err, os.ErrNotExist) {
		return v, err
	}
	v = generate()
	if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("keeping a generated key in the data directory (CARTBACK_DATA_DIR): %w", err)
	}
	return v, nil
}

func randomHex() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// connect starts the embedded Temporal server, or dials the cluster TEMPORAL_ADDRESS names, and
// makes sure our search attributes exist there.
func (s *devStack) connect(ctx context.Context, e env, log *logrus.Logger, useCluster bool) error {
	if useCluster {
		c, namespace, err := temporalClient(ctx, e, log, s.cfg, false)
		if err != nil {
			return err
		}
		s.client, s.ns = c, namespace
		s.closers = append(s.closers, func() error { c.Close(); return nil })
		if s.apiClient, _, err = temporalClient(ctx, e, log, s.cfg, false, starter.FailFast()...); err != nil {
			return err
		}
		s.closers = append(s.closers, func() error { s.apiClient.Close(); return nil })
		return worker.EnsureSearchAttributes(ctx, c, namespace)
	}
	ts, err := devserver.Start(ctx, devserver.Options{
		DataDir:      s.cfg.Dev.DataDir,
		Retention:    s.cfg.Dev.Retention,
		FrontendPort: s.cfg.Dev.TemporalPort,
		UIPort:       s.cfg.Dev.UIPort,
		Logger:       log,
		// Served by our HTTP server, on loopback as the UI is: see codecEndpoint.
		CodecEndpoint: s.baseURL + uicodec.Prefix,
	})
	if err != nil {
		return err
	}
	s.temporal = ts
	s.closers = append(s.closers, ts.Stop)
	codec, err := payloadCodec(s.cfg)
	if err != nil {
		return err
	}
	dial := func(extra ...grpc.DialOption) (client.Client, error) {
		c, err := client.DialContext(ctx, client.Options{HostPort: ts.FrontendAddress(), Namespace: ts.Namespace(),
			Logger: worker.NewLogger(log), DataConverter: payloadcrypt.DataConverter(codec), FailureConverter: payloadcrypt.FailureConverter(codec),
			ConnectionOptions: client.ConnectionOptions{DialOptions: extra}})
		if err != nil {
			return nil, fmt.Errorf("connecting to the embedded Temporal server: %w", err)
		}
		s.closers = append(s.closers, func() error { c.Close(); return nil })
		return c, nil
	}
	if s.client, err = dial(); err != nil {
		return err
	}
	s.ns = ts.Namespace()
	s.apiClient, err = dial(starter.FailFast()...)
	return err
}

// whatsApp talks to Meta when all four credentials are set, and to the sandbox when none is: the
// sandbox then serves the Graph API and its page under /sandbox, and signs its webhooks with a
// secret it shares with our server. Its conversations are kept in the data directory.
func (s *devStack) whatsApp(mux *http.ServeMux, log *logrus.Logger, graphAnswerDelay time.Duration) error {
	w := &s.cfg.WhatsApp
	creds := map[string]string{
		"WHATSAPP_TOKEN": w.Token, "WHATSAPP_PHONE_NUMBER_ID": w.PhoneNumberID,
		"WHATSAPP_APP_SECRET": w.AppSecret, "WHATSAPP_VERIFY_TOKEN": w.VerifyToken,
	}
	var set, unset []string
	for name, v := range creds {
		if v == "" {
			unset = append(unset, name)
		} else {
			set = append(set, name)
		}
	}
	switch {
	case len(unset) == 0:
		return nil
	case len(set) > 0:
		return fmt.Errorf("WhatsApp: set all of WHATSAPP_TOKEN, WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_APP_SECRET and WHATSAPP_VERIFY_TOKEN to talk to Meta, or none for the sandbox (%s set, %s not)",
			strings.Join(slices.Sorted(slices.Values(set)), ", "), strings.Join(slices.Sorted(slices.Values(unset)), ", "))
	}
	w.Token, w.PhoneNumberID, w.AppSecret, w.AppSecretPrevious, w.VerifyToken = randomHex(), sandboxPhoneNumberID, randomHex(), "", randomHex()
	sb, err := sandbox.New(sandbox.Options{
		PhoneNumberID: w.PhoneNumberID, Token: w.Token, AppSecret: w.AppSecret,
		WebhookURL:   s.baseURL + "/webhooks/whatsapp",
		TemplateName: w.TemplateName,
		StateFile:    filepath.Join(s.cfg.Dev.DataDir, "sandbox.json"),
		Logger:       log,

		GraphAnswerDelay: graphAnswerDelay,
	})
	if err != nil {
		return err
	}
	s.sandbox = sb
	s.closers = append(s.closers, sb.Close)
	w.BaseURL = sb.GraphBaseURL(s.baseURL)
	h := sb.Handler()
	mux.Handle("/sandbox", h)
	mux.Handle("/sandbox/", h)
	mux.Handle("GET /favicon.ico", h)
	return nil
}

// describe prints where everything is.
func (s *devStack) describe(out io.Writer) {
	fmt.Fprintf(out, "cartback dev is running\n\n")
	fmt.Fprintf(out, "  HTTP API     %s   (Authorization: Bearer %s)\n", s.baseURL, s.cfg.APIKey)
	if s.sandbox != nil {
		fmt.Fprintf(out, "  WhatsApp     sandbox: %s/sandbox   (reply with: cartback reply <phone> <text>)\n", s.baseURL)
	} else {
		fmt.Fprintf(out, "  WhatsApp     %s, phone number id %s\n", s.cfg.WhatsApp.BaseURL, s.cfg.WhatsApp.PhoneNumberID)
	}
	if s.temporal != nil {
		fmt.Fprintf(out, "  Temporal     %s   (namespace %s, data in %s)\n", s.temporal.FrontendAddress(), s.temporal.Namespace(), s.cfg.Dev.DataDir)
		if ui := s.temporal.UIAddress(); ui != "" {
			fmt.Fprintf(out, "  Web UI       %s\n", ui)
		}
	} else {
		fmt.Fprintf(out, "  Temporal     the cluster at TEMPORAL_ADDRESS\n")
	}
	fmt.Fprintf(out, "  Timing       %s\n", timingText(s.cfg.Flow))
	fmt.Fprintf(out, "\nCtrl-C stops everything; flows that wait resume at the next start.\n")
}

// timingText says when a flow's first message goes, and how to send it at once: the production
// defaults (an hour's delay, quiet hours at night) surprise whoever tries one cart by hand.
func timingText(f config.Flow) string {
	delay := "at once"
	if f.SendDelay > 0 {
		delay = workflows.Duration(f.SendDelay).String() + " after the cart"
	}
	quiet := "no quiet hours"
	if _, on, _ := workflows.ParseQuietHours(f.QuietHours); on {
		quiet = "outside " + f.QuietHours + " in the shopper's time"
	}
	text := "first message " + delay + ", " + quiet + " (CARTBACK_SEND_DELAY, CARTBACK_QUIET_HOURS)"
	if f.SendDelay > 0 || quiet != "no quiet hours" {
		text += "; to send at once: CARTBACK_SEND_DELAY=0 CARTBACK_QUIET_HOURS=off"
	}
	return text
}

// stop stops the stack in the order that loses nothing: cartback's API and webhook take no new
// request (503) and those in flight finish; then the worker lets its sends finish, while the
// sandbox's Graph API still answers them; then the listener, and the rest last opened first.
// It reports the first failure.
func (s *devStack) stop() error {
	drain, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	errs := []error{s.gate.Close(drain)}
	if s.worker != nil {
		s.worker.Stop()
		s.worker = nil
	}
	if s.stopHTTP != nil {
		errs = append(errs, s.stopHTTP())
		s.stopHTTP = nil
	}
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
