// Package config loads cartback's settings from the environment, once, into a struct that is
// validated before anything starts. The README's configuration table documents every variable.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults.
const (
	DefaultGraphBaseURL     = "https://graph.facebook.com"
	DefaultGraphVersion     = "v23.0"
	DefaultTemplateName     = "cart_check_in"
	DefaultTemplateLanguage = "en_US"
	DefaultReplyWindow      = 24 * time.Hour
	DefaultCouponCode       = "SAVE10"
	DefaultSendsPerSecond   = 60 // Meta allows 80 messages/s per number, inbound traffic included
	DefaultHTTPAddr         = "127.0.0.1:8080"
	minIDKeyLength          = 16
)

// Config is every cartback setting but the Temporal client's, which the SDK's envconfig loads.
type Config struct {
	WhatsApp WhatsApp
	Flow     Flow
	Events   Events

	// IDKey keys the HMAC that turns a phone number into a workflow ID (CARTBACK_ID_KEY). It must
	// never change for a deployment: replies would stop reaching the flows already running.
	IDKey []byte
	// SendsPerSecond caps Graph API sends across all workers (CARTBACK_SENDS_PER_SECOND).
	SendsPerSecond float64
	// HTTPAddr is where the HTTP server listens (CARTBACK_HTTP_ADDR).
	HTTPAddr string
	// APIKey is the storefront's bearer token (CARTBACK_API_KEY).
	APIKey string
}

// WhatsApp is the WhatsApp Cloud API side: sends (worker) and webhooks (server).
type WhatsApp struct {
	BaseURL           string // WHATSAPP_API_BASE_URL
	Version           string // WHATSAPP_API_VERSION
	PhoneNumberID     string // WHATSAPP_PHONE_NUMBER_ID
	Token             string // WHATSAPP_TOKEN
	TemplateName      string // WHATSAPP_TEMPLATE_NAME
	TemplateLanguage  string // WHATSAPP_TEMPLATE_LANGUAGE
	AppSecret         string // WHATSAPP_APP_SECRET: signs Meta's webhooks
	AppSecretPrevious string // WHATSAPP_APP_SECRET_PREVIOUS: also accepted during a rotation
	VerifyToken       string // WHATSAPP_VERIFY_TOKEN: the webhook subscription handshake
}

// Flow holds the settings copied into each flow when it starts.
type Flow struct {
	ReplyWindow time.Duration // CARTBACK_REPLY_WINDOW
	CouponCode  string        // CARTBACK_COUPON_CODE
}

// Events is where flows' outcomes are reported.
type Events struct {
	URL    string // CARTBACK_EVENTS_URL: unset, outcomes are only logged
	Secret string // CARTBACK_EVENTS_SECRET
}

// Load reads the settings through lookup (os.LookupEnv in main). It checks the form of every value
// that is set and reports all the problems at once, each naming its variable. Whether a setting is
// required depends on the part that runs: see RequireWorker and RequireServer.
func Load(lookup func(string) (string, bool)) (Config, error) {
	e := &reader{lookup: lookup}
	c := Config{
		WhatsApp: WhatsApp{
			BaseURL:           e.url("WHATSAPP_API_BASE_URL", DefaultGraphBaseURL),
			Version:           e.str("WHATSAPP_API_VERSION", DefaultGraphVersion),
			PhoneNumberID:     e.str("WHATSAPP_PHONE_NUMBER_ID", ""),
			Token:             e.str("WHATSAPP_TOKEN", ""),
			TemplateName:      e.str("WHATSAPP_TEMPLATE_NAME", DefaultTemplateName),
			TemplateLanguage:  e.str("WHATSAPP_TEMPLATE_LANGUAGE", DefaultTemplateLanguage),
			AppSecret:         e.str("WHATSAPP_APP_SECRET", ""),
			AppSecretPrevious: e.str("WHATSAPP_APP_SECRET_PREVIOUS", ""),
			VerifyToken:       e.str("WHATSAPP_VERIFY_TOKEN", ""),
		},
		Flow: Flow{
			ReplyWindow: e.duration("CARTBACK_REPLY_WINDOW", DefaultReplyWindow),
			CouponCode:  e.str("CARTBACK_COUPON_CODE", DefaultCouponCode),
		},
		Events: Events{
			URL:    e.url("CARTBACK_EVENTS_URL", ""),
			Secret: e.str("CARTBACK_EVENTS_SECRET", ""),
		},
		IDKey:          []byte(e.str("CARTBACK_ID_KEY", "")),
		SendsPerSecond: e.positive("CARTBACK_SENDS_PER_SECOND", DefaultSendsPerSecond),
		HTTPAddr:       e.str("CARTBACK_HTTP_ADDR", DefaultHTTPAddr),
		APIKey:         e.str("CARTBACK_API_KEY", ""),
	}
	if c.Events.URL != "" && c.Events.Secret == "" {
		e.fail("CARTBACK_EVENTS_SECRET", "is required when CARTBACK_EVENTS_URL is set: storefronts verify the signature")
	}
	if len(c.IDKey) > 0 && len(c.IDKey) < minIDKeyLength {
		e.fail("CARTBACK_ID_KEY", fmt.Sprintf("must be at least %d characters", minIDKeyLength))
	}
	return c, errors.Join(e.errs...)
}

// RequireWorker checks what the worker cannot run without: the Graph API credentials.
func (c Config) RequireWorker() error {
	return required(map[string]string{
		"WHATSAPP_TOKEN":           c.WhatsApp.Token,
		"WHATSAPP_PHONE_NUMBER_ID": c.WhatsApp.PhoneNumberID,
	})
}

// RequireServer checks what the HTTP server cannot run without: the keys that authenticate the
// storefront and Meta, and the workflow ID key.
func (c Config) RequireServer() error {
	return required(map[string]string{
		"CARTBACK_API_KEY":         c.APIKey,
		"CARTBACK_ID_KEY":          string(c.IDKey),
		"WHATSAPP_APP_SECRET":      c.WhatsApp.AppSecret,
		"WHATSAPP_VERIFY_TOKEN":    c.WhatsApp.VerifyToken,
		"WHATSAPP_PHONE_NUMBER_ID": c.WhatsApp.PhoneNumberID,
	})
}

// RequireStarter checks what starting a flow from the command line needs.
func (c Config) RequireStarter() error {
	return required(map[string]string{"CARTBACK_ID_KEY": string(c.IDKey)})
}

func required(vars map[string]string) error {
	var missing []string
	for name, v := range vars {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	return fmt.Errorf("missing required settings: %s", strings.Join(missing, ", "))
}

// reader reads variables and collects every problem, so that one start reports them all.
type reader struct {
	lookup func(string) (string, bool)
	errs   []error
}

func (e *reader) fail(name, why string) { e.errs = append(e.errs, fmt.Errorf("%s %s", name, why)) }

func (e *reader) str(name, def string) string {
	if v, ok := e.lookup(name); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	return def
}

func (e *reader) duration(name string, def time.Duration) time.Duration {
	raw := e.str(name, "")
	if raw == "" {
		return def
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		e.fail(name, fmt.Sprintf("must be a positive Go duration such as 24h or 90m, not %q", raw))
		return def
	}
	return d
}

func (e *reader) positive(name string, def float64) float64 {
	raw := e.str(name, "")
	if raw == "" {
		return def
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil || f <= 0 {
		e.fail(name, fmt.Sprintf("must be a positive number, not %q", raw))
		return def
	}
	return f
}

func (e *reader) url(name, def string) string {
	raw := e.str(name, def)
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		e.fail(name, fmt.Sprintf("must be an http(s) URL, not %q", raw))
		return def
	}
	return strings.TrimRight(raw, "/")
}
