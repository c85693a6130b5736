// Package sandbox is a local stand-in for WhatsApp, used by `cartback dev` when no real WhatsApp
// credentials are configured. It serves a fake Graph API (whatsapp/fakegraph) that the worker's
// client sends to, keeps each phone's conversation (in a file, across restarts: Options.StateFile),
// reports delivery statuses to our webhook as Meta does, and lets a person answer as the shopper (a
// page at /sandbox showing what the shopper reads, a JSON API, PostReply for the command line)
// through the real signed webhook path.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cartback/cartback/config"
	"github.com/cartback/cartback/whatsapp/fakegraph"
)

// Defaults for the webhook metadata when Options leaves them empty: the values of Meta's own samples.
const (
	defaultDisplayPhoneNumber = "15550783881"
	defaultWABAID             = "102290129340398"
)

// defaultWebhookTimeout bounds one webhook post when Options.HTTPClient is nil. Our server answers
// a webhook after signalling Temporal, well under a second; a stuck post must not hold a status
// goroutine forever.
const defaultWebhookTimeout = 10 * time.Second

// Options configures a Sandbox.
type Options struct {
	PhoneNumberID      string           // our business number's id: what the worker's client puts in the path (required)
	DisplayPhoneNumber string           // shown in webhook metadata, e.g. "15550783881" (default: Meta's sample number)
	WABAID             string           // entry[].id in webhooks (default: Meta's sample account)
	Token              string           // the Graph bearer token the worker uses; any other gets 401/190 (required)
	AppSecret          string           // signs the webhooks it posts (X-Hub-Signature-256), as Meta does (required)
	WebhookURL         string           // our POST /webhooks/whatsapp (required)
	HTTPClient         *http.Client     // posts the webhooks; nil = a client with a 10 s timeout
	Now                func() time.Time // nil = time.Now
	// TemplateName is the name the cart check-in template is registered under
	// (WHATSAPP_TEMPLATE_NAME): its sends show the text the README asks to register. Default
	// cart_check_in.
	TemplateName string
	// StateFile keeps the conversations across restarts: read by New, written soon after each
	// change and by Close. "" keeps them in memory only.
	StateFile string
	Logger    logrus.FieldLogger // warnings about the state file; nil = logrus's standard logger
	// GraphAnswerDelay slows the Graph API's answers (fakegraph.Options.AnswerDelay): fault tests.
	GraphAnswerDelay time.Duration

	saveInterval time.Duration // the least time between two writes of the state file; 0 = defaultSaveInterval (tests shorten it)
}

// Sandbox is the local WhatsApp. It is safe for concurrent use; create it with New and Close it
// when done, so that status webhooks still being posted stop.
type Sandbox struct {
	opts      Options
	graph     *fakegraph.Server
	page      *template.Template
	nonce     string // keeps inbound wamids unique across Sandbox instances
	templates map[templateKey]templateText
	log       logrus.FieldLogger
	save      chan struct{} // a change to write: signals saveLoop

	// retryDelays are the waits between attempts of a status webhook post that failed in a way
	// worth retrying (unreachable, 429, 5xx), as Meta retries; tests shorten them.
	retryDelays []time.Duration

	ctx    context.Context // cancelled by Close: stops status posts in flight
	cancel context.CancelFunc
	wg     sync.WaitGroup // status goroutines and saveLoop

	mu       sync.Mutex
	closed   bool
	seq      int
	convs    map[string]*conversation // by wa_id (digits)
	order    []string                 // wa_ids in order of first appearance: the page's order
	failures []WebhookFailure         // the latest failed status posts, oldest first
	changes  int64                    // changes so far: orders conversations by their latest
	size     int                      // the state file's estimated size (entrySize)
	unsaved  bool                     // a change not yet in the state file
	dropping bool                     // conversations have been dropped to stay within the bounds
}

// New validates opts and returns a Sandbox. The error names the first missing or malformed option.
func New(opts Options) (*Sandbox, error) {
	switch {
	case strings.TrimSpace(opts.PhoneNumberID) == "":
		return nil, errors.New("sandbox: Options.PhoneNumberID is required")
	case strings.TrimSpace(opts.Token) == "":
		// An empty token would make the fake accept any token: the worker's misconfiguration
		// would go unnoticed until it met Meta.
		return nil, errors.New("sandbox: Options.Token is required")
	case opts.AppSecret == "":
		return nil, errors.New("sandbox: Options.AppSecret is required")
	}
	u, err := url.Parse(opts.WebhookURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("sandbox: Options.WebhookURL %q is not an http(s) URL", opts.WebhookURL)
	}
	if opts.DisplayPhoneNumber == "" {
		opts.DisplayPhoneNumber = defaultDisplayPhoneNumber
	}
	if opts.WABAID == "" {
		opts.WABAID = defaultWABAID
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: defaultWebhookTimeout}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TemplateName == "" {
		opts.TemplateName = config.DefaultTemplateName
	}
	if opts.Logger == nil {
		opts.Logger = logrus.StandardLogger()
	}
	if opts.saveInterval == 0 {
		opts.saveInterval = defaultSaveInterval
	}
	page, err := parsePage()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sandbox{
		opts:        opts,
		page:        page,
		nonce:       randomToken(8),
		templates:   knownTemplates(opts.TemplateName),
		log:         opts.Logger,
		save:        make(chan struct{}, 1),
		retryDelays: []time.Duration{200 * time.Millisecond, time.Second, 3 * time.Second},
		ctx:         ctx,
		cancel:      cancel,
		convs:       map[string]*conversation{},
	}
	if opts.StateFile != "" {
		// Written once now, so that a data directory we cannot write to stops the start rather
		// than the conversations being lost later.
		s.unsaved = true
		if err := s.load(); err != nil {
			cancel()
			return nil, err
		}
		if err := s.flush(); err != nil {
			cancel()
			return nil, err
		}
		s.wg.Add(1)
		go s.saveLoop()
	}
	s.graph = fakegraph.New(fakegraph.Options{
		PhoneNumberID: opts.PhoneNumberID,
		Token:         opts.Token,
		OnMessage:     s.onSend,
		AnswerDelay:   opts.GraphAnswerDelay,
	})
	return s, nil
}

// Close stops the status webhooks still being posted, waits for them, and writes the state file.
// Sends accepted after Close are still recorded, but report no statuses and are not kept.
func (s *Sandbox) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return s.flush()
}

// graphPrefix is where the fake Graph API is mounted; GraphBaseURL points the worker there.
const graphPrefix = "/sandbox/graph"

// Handler serves everything under /sandbox: the fake Graph API, the page and its JSON API, and
// also /favicon.ico. Mount it at /sandbox/ (and /favicon.ico) without stripping the prefix.
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(graphPrefix+"/", http.StripPrefix(graphPrefix, s.graph))
	mux.HandleFunc("GET /sandbox", s.servePage)
	mux.HandleFunc("GET /sandbox/{$}", s.servePage)
	mux.HandleFunc("GET /sandbox/api/conversations", s.serveConversations)
	mux.HandleFunc("POST /sandbox/api/reply", s.serveReply)
	mux.HandleFunc("GET /sandbox/favicon.ico", serveFavicon)
	mux.HandleFunc("GET /favicon.ico", serveFavicon)
	return mux
}

// GraphBaseURL is the Graph API base URL (WHATSAPP_API_BASE_URL) for a worker whose HTTP server
// serves Handler at serverBase, e.g. "http://127.0.0.1:8080".
func (s *Sandbox) GraphBaseURL(serverBase string) string {
	return strings.TrimRight(serverBase, "/") + graphPrefix
}

// Graph is the fake Graph API behind the sandbox, e.g. to script a failure with FailNext.
func (s *Sandbox) Graph() *fakegraph.Server { return s.graph }
