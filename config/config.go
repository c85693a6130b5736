// Package config loads cartback's settings from the environment, once, into a struct that is
// validated before anything starts.
//
// One table, [Variables], names every variable cartback reads: Load parses through it, the Require
// methods derive from it what a command cannot run without, and the tests check the README's
// configuration table, the Dockerfile and docker-compose.yml against it.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cartback/cartback/messages"
	"github.com/cartback/cartback/payloadcrypt"
	"github.com/cartback/cartback/phone"
	"github.com/cartback/cartback/shopify"
	"github.com/cartback/cartback/store"
	"github.com/cartback/cartback/workflows"
)

// The commands that read settings: the values of Variable.RequiredBy and Variable.ReadBy.
const (
	CommandWorker = "worker"
	CommandServer = "server"
	CommandStart  = "start"
	CommandState  = "state"
	CommandReply  = "reply"
	CommandDev    = "dev"
)

// Defaults.
const (
	DefaultGraphBaseURL     = "https://graph.facebook.com"
	DefaultGraphVersion     = "v23.0"
	DefaultTemplateName     = "cart_check_in"
	DefaultTemplateLanguage = "en_US"
	DefaultReplyWindow      = workflows.DefaultReplyWindow
	DefaultCouponCode       = "SAVE10"
	DefaultReplyGrace       = 15 * time.Minute // Meta retries a webhook answered 5xx for a while
	DefaultSendDelay        = time.Hour        // most shoppers come back on their own
	DefaultQuietHours       = "21:00-09:00"
	DefaultSendsPerSecond   = 60 // Meta allows 80 messages/s per number, inbound traffic included
	DefaultHTTPAddr         = "127.0.0.1:8080"
	DefaultDataDir          = "./.cartback"
	DefaultRetention        = 30 * 24 * time.Hour
	DefaultTemporalPort     = 7233
	DefaultUIPort           = 8233
	DefaultDenyCountries    = "US" // Meta delivers no marketing templates to US numbers (see the README)
	DefaultFrequencyCap     = 7 * 24 * time.Hour

	// MinRetention is the shortest namespace retention Temporal accepts.
	MinRetention   = 24 * time.Hour
	minIDKeyLength = 16
	// minCodecSecretLength bounds the codec login's password, which guards every customer's data.
	minCodecSecretLength = 16
)

// Config is every cartback setting but the Temporal client's, which the SDK's envconfig loads.
type Config struct {
	WhatsApp WhatsApp
	Flow     Flow
	Events   Events
	Dev      Dev
	Policy   Policy
	Payload  Payload
	Codec    Codec
	Coupons  Coupons
	Shopify  Shopify

	// DatabaseURL is cartback's own store (CARTBACK_DATABASE_URL): postgres://… or sqlite://path.
	DatabaseURL string
	// AttributionWindow is how long after a flow's last message a purchase counts as won back by it,
	// on the ledger (CARTBACK_ATTRIBUTION_WINDOW).
	AttributionWindow time.Duration

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
	ReplyGrace  time.Duration // CARTBACK_REPLY_GRACE: 0 is none
	SendDelay   time.Duration // CARTBACK_SEND_DELAY: 0 sends at once
	QuietHours  string        // CARTBACK_QUIET_HOURS: "21:00-09:00", or "off"
	// CouponDiscount is what the coupon text says the code gives (CARTBACK_COUPON_DISCOUNT).
	CouponDiscount string
	// MessagesFile is the messages file (CARTBACK_MESSAGES_FILE); empty, the embedded default.
	MessagesFile string
	// CouponMode is generic, derived or storefront (CARTBACK_COUPON_MODE).
	CouponMode string
}

// Coupons are the worker's means of per-cart codes: never copied into a flow.
type Coupons struct {
	Secret []byte // CARTBACK_COUPON_SECRET: derives and checks the codes of CARTBACK_COUPON_MODE=derived
	URL    string // CARTBACK_COUPON_URL: where CARTBACK_COUPON_MODE=storefront asks for them
}

// Shopify is a Shopify store's webhooks (server): checkouts start flows, orders end them.
type Shopify struct {
	Secret         string // CARTBACK_SHOPIFY_SECRET: the app's client secret, which signs them; empty refuses them
	SecretPrevious string // CARTBACK_SHOPIFY_SECRET_PREVIOUS: also accepted during a rotation
	OptIn          string // CARTBACK_SHOPIFY_OPT_IN: which consent is the WhatsApp opt-in (shopify.ParseOptIn)
}

// Policy is who may be messaged: the README's "Messaging policy".
type Policy struct {
	AllowCountries []string      // CARTBACK_ALLOW_COUNTRIES: ISO 3166-1 alpha-2, upper case
	DenyCountries  []string      // CARTBACK_DENY_COUNTRIES
	FrequencyCap   time.Duration // CARTBACK_FREQUENCY_CAP: 0 is off
}

// Payload is the encryption of Temporal payloads: off when Keys is empty.
type Payload struct {
	// Keys are every key that may have sealed a payload (CARTBACK_PAYLOAD_KEYS): nil when unset,
	// empty (not nil) when set to `none`.
	Keys  payloadcrypt.Keys
	KeyID string // CARTBACK_PAYLOAD_KEY_ID: the one that encrypts
}

// Off says encryption was turned off (CARTBACK_PAYLOAD_KEYS=none), rather than left unset, which
// lets `cartback dev` use the key it generates.
func (p Payload) Off() bool { return p.Keys != nil && len(p.Keys) == 0 }

// Codec is the Web UI's codec endpoint of `cartback server` (in `dev` it needs neither).
type Codec struct {
	Origin string // CARTBACK_CODEC_ORIGIN: the Web UI's origin, the only one CORS lets in
	Secret string // CARTBACK_CODEC_SECRET: the password of the endpoint's login
	// OIDCIssuer and OIDCAudience (CARTBACK_CODEC_OIDC_*) verify the access tokens of a UI whose
	// operators log in with OpenID Connect.
	OIDCIssuer, OIDCAudience string
}

// Events is where flows' outcomes are reported.
type Events struct {
	URL    string // CARTBACK_EVENTS_URL: unset, outcomes are only logged
	Secret string // CARTBACK_EVENTS_SECRET
}

// Dev is what `cartback dev` reads for its embedded Temporal server and Web UI; start, state and
// reply find the dev stack's key and Temporal from DataDir and TemporalPort.
type Dev struct {
	DataDir      string        // CARTBACK_DATA_DIR: the SQLite file and the generated keys
	Retention    time.Duration // CARTBACK_RETENTION: the namespace's retention, at least MinRetention
	TemporalPort int           // CARTBACK_TEMPORAL_PORT: the embedded frontend's port
	UIPort       int           // CARTBACK_UI_PORT: the Web UI's port
}

// Variable is one environment variable cartback reads.
type Variable struct {
	Name string
	// Default is the value used when the variable is unset or blank, as it would be written in the
	// environment; empty when there is none.
	Default     string
	Description string
	// RequiredBy lists the commands that refuse to start without the variable.
	RequiredBy []string
	// Secret marks a credential: pass it from a secret store or an untracked .env file, never log it.
	Secret bool
	// ReadBy lists the commands the variable changes anything for.
	ReadBy []string
}

// Variables returns every variable cartback reads, in the README's order: the Temporal client's
// (read by the SDK's envconfig, documented here and not parsed by Load), then cartback's own.
func Variables() []Variable {
	vs := make([]Variable, len(settings))
	for i, s := range settings {
		vs[i] = s.Variable
		vs[i].RequiredBy = slices.Clone(s.RequiredBy)
		vs[i].ReadBy = slices.Clone(s.ReadBy)
	}
	return vs
}

// setting is a row of the table with what Load needs to parse it.
type setting struct {
	Variable
	// field is the Config field Load fills: a *string, *[]byte, *time.Duration (a positive Go
	// duration), *float64 (a positive number), *int (a TCP port), *[]string (country codes,
	// comma-separated) or *payloadcrypt.Keys. nil for the Temporal client's variables, which the SDK's envconfig reads.
	field func(*Config) any
	// check validates a *string field's value.
	check func(string) error
	// zeroOff lets a *time.Duration be "0", which turns its feature off.
	zeroOff bool
	// url requires an http(s) URL (a *string field); trailing slashes are dropped.
	url bool
	// minDuration and minLength bound a *time.Duration and a *[]byte.
	minDuration time.Duration
	minLength   int
	// requiredWith names the variable whose being set makes this one required.
	requiredWith string
}

var (
	everyCommand = []string{CommandWorker, CommandServer, CommandStart, CommandState, CommandReply, CommandDev}
	workerAndDev = []string{CommandWorker, CommandDev}
	serverAndDev = []string{CommandServer, CommandDev}
	startsFlows  = []string{CommandServer, CommandStart, CommandDev}
	workerOnly   = []string{CommandWorker}
	serverOnly   = []string{CommandServer}
	workerServer = []string{CommandWorker, CommandServer}
	usesStore    = []string{CommandWorker, CommandServer, CommandStart, CommandState, CommandDev}
	devOnly      = []string{CommandDev}
	// The commands that talk to a running stack take the dev stack's ID key and Temporal port
	// when nothing else is set.
	devAndItsClients = []string{CommandStart, CommandState, CommandReply, CommandDev}
)

// Commands returns every command that reads settings: the values of Variable.RequiredBy and
// Variable.ReadBy.
func Commands() []string { return slices.Clone(everyCommand) }

// settings is the table. Its order is the README's.
var settings = []setting{
	// The Temporal client: the SDK's envconfig reads these (go.temporal.io/sdk/contrib/envconfig).
	{Variable: Variable{Name: "TEMPORAL_ADDRESS", Default: "localhost:7233", ReadBy: everyCommand,
		Description: "the Temporal frontend, `host:port`; `dev` starts its own Temporal unless this is set; unset (and in no `TEMPORAL_CONFIG_FILE` profile), `worker` and `server` dial `localhost:7233`, and `start`, `state` and `reply` dial `dev`'s, `127.0.0.1:$CARTBACK_TEMPORAL_PORT`"}},
	{Variable: Variable{Name: "TEMPORAL_NAMESPACE", Default: "default", ReadBy: everyCommand,
		Description: "the Temporal namespace"}},
	{Variable: Variable{Name: "TEMPORAL_API_KEY", Secret: true, ReadBy: everyCommand,
		Description: "API key (Temporal Cloud); turns TLS on"}},
	{Variable: Variable{Name: "TEMPORAL_TLS", ReadBy: everyCommand,
		Description: "`true` turns TLS on with the system's roots, `false` off; any other `TEMPORAL_TLS_*` turns it on"}},
	{Variable: Variable{Name: "TEMPORAL_TLS_CLIENT_CERT_PATH", ReadBy: everyCommand,
		Description: "mTLS client certificate, a PEM file (Temporal Cloud's certificate auth, secured clusters)"}},
	{Variable: Variable{Name: "TEMPORAL_TLS_CLIENT_CERT_DATA", ReadBy: everyCommand,
		Description: "the same certificate as PEM text, instead of a file"}},
	{Variable: Variable{Name: "TEMPORAL_TLS_CLIENT_KEY_PATH", ReadBy: everyCommand,
		Description: "the client certificate's private key, a PEM file"}},
	{Variable: Variable{Name: "TEMPORAL_TLS_CLIENT_KEY_DATA", Secret: true, ReadBy: everyCommand,
		Description: "the same key as PEM text, instead of a file"}},
	{Variable: Variable{Name: "TEMPORAL_TLS_SERVER_CA_CERT_PATH", ReadBy: everyCommand,
		Description: "the CA that signed the frontend's certificate, a PEM file (self-hosted TLS)"}},
	{Variable: Variable{Name: "TEMPORAL_TLS_SERVER_CA_CERT_DATA", ReadBy: everyCommand,
		Description: "the same CA as PEM text, instead of a file"}},
	{Variable: Variable{Name: "TEMPORAL_TLS_SERVER_NAME", ReadBy: everyCommand,
		Description: "the name to verify the frontend's certificate against, when it is not the address's host"}},
	{Variable: Variable{Name: "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", ReadBy: everyCommand,
		Description: "`true` skips verifying the frontend's host name (tests only)"}},
	{Variable: Variable{Name: "TEMPORAL_CLIENT_AUTHORITY", ReadBy: everyCommand,
		Description: "overrides the gRPC `:authority` header (some proxies need it)"}},
	{Variable: Variable{Name: "TEMPORAL_CONFIG_FILE", Default: "$HOME/.config/temporalio/temporal.toml", ReadBy: everyCommand,
		Description: "a TOML file of client profiles, as the `temporal` CLI writes; the variables above override it"}},
	{Variable: Variable{Name: "TEMPORAL_PROFILE", Default: "default", ReadBy: everyCommand,
		Description: "the profile of that file to use"}},

	// WhatsApp.
	{Variable: Variable{Name: "WHATSAPP_TOKEN", RequiredBy: workerOnly, Secret: true, ReadBy: workerAndDev,
		Description: "Graph API access token (a system user's); `dev` uses its sandbox when the WhatsApp credentials are unset"},
		field: func(c *Config) any { return &c.WhatsApp.Token }},
	{Variable: Variable{Name: "WHATSAPP_PHONE_NUMBER_ID", RequiredBy: workerServer, ReadBy: []string{CommandWorker, CommandServer, CommandDev},
		Description: "the WhatsApp business number's id"},
		field: func(c *Config) any { return &c.WhatsApp.PhoneNumberID }},
	{Variable: Variable{Name: "WHATSAPP_API_BASE_URL", Default: DefaultGraphBaseURL, ReadBy: workerAndDev,
		Description: "the Graph API; point it at any Graph-compatible endpoint"},
		field: func(c *Config) any { return &c.WhatsApp.BaseURL }, url: true},
	{Variable: Variable{Name: "WHATSAPP_API_VERSION", Default: DefaultGraphVersion, ReadBy: workerAndDev,
		Description: "Graph API version"},
		field: func(c *Config) any { return &c.WhatsApp.Version }},
	{Variable: Variable{Name: "WHATSAPP_TEMPLATE_NAME", Default: DefaultTemplateName, ReadBy: workerAndDev,
		Description: "the approved template"},
		field: func(c *Config) any { return &c.WhatsApp.TemplateName }},
	{Variable: Variable{Name: "WHATSAPP_TEMPLATE_LANGUAGE", Default: DefaultTemplateLanguage, ReadBy: workerAndDev,
		Description: "its language"},
		field: func(c *Config) any { return &c.WhatsApp.TemplateLanguage }},
	{Variable: Variable{Name: "WHATSAPP_APP_SECRET", RequiredBy: serverOnly, Secret: true, ReadBy: serverAndDev,
		Description: "verifies Meta's webhook signatures"},
		field: func(c *Config) any { return &c.WhatsApp.AppSecret }},
	{Variable: Variable{Name: "WHATSAPP_APP_SECRET_PREVIOUS", Secret: true, ReadBy: serverAndDev,
		Description: "also accepted while the app secret is rotated"},
		field: func(c *Config) any { return &c.WhatsApp.AppSecretPrevious }},
	{Variable: Variable{Name: "WHATSAPP_VERIFY_TOKEN", RequiredBy: serverOnly, Secret: true, ReadBy: serverAndDev,
		Description: "the webhook subscription handshake"},
		field: func(c *Config) any { return &c.WhatsApp.VerifyToken }},

	// cartback.
	{Variable: Variable{Name: "CARTBACK_ID_KEY", RequiredBy: workerServer, Secret: true,
		ReadBy:      []string{CommandWorker, CommandServer, CommandStart, CommandState, CommandReply, CommandDev},
		Description: "keys the customer's workflow ID; at least 16 characters; never change it (`dev` generates one in its data directory, and `start`, `state` and `reply` use that one when this is unset)"},
		field: func(c *Config) any { return &c.IDKey }, minLength: minIDKeyLength},
	{Variable: Variable{Name: "CARTBACK_API_KEY", RequiredBy: serverOnly, Secret: true, ReadBy: serverAndDev,
		Description: "the storefront's bearer token (`dev` generates one in its data directory)"},
		field: func(c *Config) any { return &c.APIKey }},
	{Variable: Variable{Name: "CARTBACK_HTTP_ADDR", Default: DefaultHTTPAddr, ReadBy: []string{CommandServer, CommandReply, CommandDev},
		Description: "where the HTTP server listens; `reply` finds `dev`'s sandbox there"},
		field: func(c *Config) any { return &c.HTTPAddr }},
	{Variable: Variable{Name: "CARTBACK_REPLY_WINDOW", Default: durationText(DefaultReplyWindow), ReadBy: startsFlows,
		Description: "how long a flow waits for the reply (Go duration)"},
		field: func(c *Config) any { return &c.Flow.ReplyWindow }},
	{Variable: Variable{Name: "CARTBACK_REPLY_GRACE", Default: durationText(DefaultReplyGrace), ReadBy: startsFlows,
		Description: "how long after the reply deadline a reply Meta dates by it may still arrive and count (Go duration; `0` for none)"},
		field: func(c *Config) any { return &c.Flow.ReplyGrace }, zeroOff: true},
	{Variable: Variable{Name: "CARTBACK_SEND_DELAY", Default: durationText(DefaultSendDelay), ReadBy: startsFlows,
		Description: "how long after the cart the first message goes: a purchase meanwhile means nothing is sent (Go duration; `0` sends at once)"},
		field: func(c *Config) any { return &c.Flow.SendDelay }, zeroOff: true},
	{Variable: Variable{Name: "CARTBACK_QUIET_HOURS", Default: DefaultQuietHours, ReadBy: startsFlows,
		Description: "when, in the shopper's local time (`customer.time_zone`, else the number's zones), no first message goes: `HH:MM-HH:MM`, or `off`"},
		field: func(c *Config) any { return &c.Flow.QuietHours }, check: checkQuietHours},
	{Variable: Variable{Name: "CARTBACK_COUPON_CODE", Default: DefaultCouponCode, ReadBy: startsFlows,
		Description: "the code a negative reply gets"},
		field: func(c *Config) any { return &c.Flow.CouponCode }},
	{Variable: Variable{Name: "CARTBACK_COUPON_DISCOUNT", Default: workflows.DefaultCouponDiscount, ReadBy: startsFlows,
		Description: "what the coupon text says the code gives, as the messages file's coupon texts read it (`10%`, `$50`)"},
		field: func(c *Config) any { return &c.Flow.CouponDiscount }},
	{Variable: Variable{Name: "CARTBACK_MESSAGES_FILE", ReadBy: startsFlows,
		Description: "the messages file (YAML): per locale, the template and the follow-up texts; unset, the default embedded in the binary (`messages/default.yaml`); checked at start, a change applies to new flows only"},
		field: func(c *Config) any { return &c.Flow.MessagesFile }, check: messagesFile},
	{Variable: Variable{Name: "CARTBACK_COUPON_MODE", Default: workflows.CouponGeneric, ReadBy: startsFlows,
		Description: "`generic`: every negative reply gets `CARTBACK_COUPON_CODE`; `derived`: each cart its own code, an HMAC of the cart id (`SAVE-7KQ2-MX9D`, see the README's Coupons); `storefront`: each cart the code `CARTBACK_COUPON_URL` answers; a code that cannot be had is the generic one"},
		field: func(c *Config) any { return &c.Flow.CouponMode }, check: couponMode},
	{Variable: Variable{Name: "CARTBACK_COUPON_SECRET", Secret: true, ReadBy: []string{CommandWorker, CommandServer, CommandDev},
		Description: "derives the codes of `CARTBACK_COUPON_MODE=derived` (worker) and checks them (`POST /v1/coupons/check`, server); at least 16 characters; changing it changes every code"},
		field: func(c *Config) any { return &c.Coupons.Secret }, minLength: minIDKeyLength},
	{Variable: Variable{Name: "CARTBACK_COUPON_URL", ReadBy: workerAndDev,
		Description: "where `CARTBACK_COUPON_MODE=storefront` POSTs `{cart_id, event_id}`, signed with `CARTBACK_EVENTS_SECRET` as the outcome events are, for `{\"code\"}`"},
		field: func(c *Config) any { return &c.Coupons.URL }, url: true},
	{Variable: Variable{Name: "CARTBACK_SHOPIFY_SECRET", Secret: true, ReadBy: serverAndDev,
		Description: "the Shopify app's client secret, which signs the store's webhooks to `POST /webhooks/shopify` (see the README's Shopify); unset, they are refused"},
		field: func(c *Config) any { return &c.Shopify.Secret }},
	{Variable: Variable{Name: "CARTBACK_SHOPIFY_SECRET_PREVIOUS", Secret: true, ReadBy: serverAndDev,
		Description: "also accepted while the Shopify client secret is rotated"},
		field: func(c *Config) any { return &c.Shopify.SecretPrevious }},
	{Variable: Variable{Name: "CARTBACK_SHOPIFY_OPT_IN", Default: shopify.OptInSMS, ReadBy: serverAndDev,
		Description: "which consent of a Shopify checkout is the shopper's WhatsApp opt-in: `sms` (SMS marketing subscribed, or ticked at checkout), `marketing` (accepts marketing), or `attribute:<name>` (a note attribute the theme adds, true or yes)"},
		field: func(c *Config) any { return &c.Shopify.OptIn }, check: checkShopifyOptIn},
	{Variable: Variable{Name: "CARTBACK_DATABASE_URL", RequiredBy: workerServer, Secret: true, ReadBy: usesStore,
		Description: "cartback's own store (consent, suppressions, the frequency cap), shared by every copy: `postgres://user:password@host:5432/cartback` or `sqlite:///path/cartback.db`; `dev` (and `start`, `state` beside it) default to `cartback.db` in its data directory"},
		field: func(c *Config) any { return &c.DatabaseURL }, check: store.ValidateURL},
	{Variable: Variable{Name: "CARTBACK_ALLOW_COUNTRIES", ReadBy: startsFlows,
		Description: "when set, the only countries messaged: ISO 3166 codes of the number's region, comma-separated (e.g. `ID,MX`)"},
		field: func(c *Config) any { return &c.Policy.AllowCountries }},
	{Variable: Variable{Name: "CARTBACK_DENY_COUNTRIES", Default: DefaultDenyCountries, ReadBy: startsFlows,
		Description: "countries never messaged, even when allowed (`none` for none); Meta delivers no marketing templates to US numbers"},
		field: func(c *Config) any { return &c.Policy.DenyCountries }},
	{Variable: Variable{Name: "CARTBACK_FREQUENCY_CAP", Default: durationText(DefaultFrequencyCap), ReadBy: startsFlows,
		Description: "at most one template per customer in this time, counted from the last one Meta accepted (Go duration; `0` turns it off)"},
		field: func(c *Config) any { return &c.Policy.FrequencyCap }, zeroOff: true},
	{Variable: Variable{Name: "CARTBACK_ATTRIBUTION_WINDOW", Default: durationText(store.DefaultAttributionWindow), ReadBy: serverAndDev,
		Description: "a purchase the storefront reports after a flow ended counts as won back by it when it comes within this time of the flow's last message, on the ledger (`GET /v1/ledger`; Go duration)"},
		field: func(c *Config) any { return &c.AttributionWindow }},
	{Variable: Variable{Name: "CARTBACK_SENDS_PER_SECOND", Default: strconv.Itoa(DefaultSendsPerSecond), ReadBy: workerAndDev,
		Description: "cap on Graph API sends for the whole deployment (Meta allows 80/s per number, inbound included)"},
		field: func(c *Config) any { return &c.SendsPerSecond }},
	{Variable: Variable{Name: "CARTBACK_EVENTS_URL", ReadBy: workerAndDev,
		Description: "where outcome events are POSTed; unset, outcomes are only logged"},
		field: func(c *Config) any { return &c.Events.URL }, url: true},
	{Variable: Variable{Name: "CARTBACK_EVENTS_SECRET", Secret: true, ReadBy: workerAndDev,
		Description: "signs outcome events"},
		field: func(c *Config) any { return &c.Events.Secret }, requiredWith: "CARTBACK_EVENTS_URL"},

	// Payload encryption and the Web UI's codec endpoint.
	{Variable: Variable{Name: "CARTBACK_PAYLOAD_KEYS", Secret: true, ReadBy: everyCommand,
		Description: "turns on the encryption of what Temporal stores (AES-256-GCM): every key that may have sealed a payload, as `id:base64key` pairs separated by commas (`k1:$(openssl rand -base64 32)`); unset, payloads are stored in clear, except with `dev`, which generates a key in its data directory (and `start`, `state` and `reply` use it when `CARTBACK_ID_KEY` is unset too); `none` turns it off, in `dev` too; rotate by adding a key and switching `CARTBACK_PAYLOAD_KEY_ID` to it"},
		field: func(c *Config) any { return &c.Payload.Keys }, requiredWith: "CARTBACK_PAYLOAD_KEY_ID"},
	{Variable: Variable{Name: "CARTBACK_PAYLOAD_KEY_ID", ReadBy: everyCommand,
		Description: "the id of the key of `CARTBACK_PAYLOAD_KEYS` that encrypts new payloads (required with it)"},
		field: func(c *Config) any { return &c.Payload.KeyID }, requiredWith: "CARTBACK_PAYLOAD_KEYS"},
	{Variable: Variable{Name: "CARTBACK_CODEC_ORIGIN", ReadBy: serverOnly,
		Description: "the Web UI's origin (`https://temporal-ui.example.com`): serves the codec endpoint (`/codec/encode`, `/codec/decode`) to it, the only origin CORS lets in (`dev` wires its own UI)"},
		field: func(c *Config) any { return &c.Codec.Origin }, url: true, check: isOrigin, requiredWith: "CARTBACK_CODEC_SECRET"},
	{Variable: Variable{Name: "CARTBACK_CODEC_SECRET", Secret: true, ReadBy: serverOnly,
		Description: "the password of the codec endpoint's login (`/codec/login`), at least 16 characters: it sets the cookie the Web UI sends with `TEMPORAL_CODEC_INCLUDE_CREDENTIALS=true`; this or `CARTBACK_CODEC_OIDC_ISSUER` is required with `CARTBACK_CODEC_ORIGIN`"},
		field: func(c *Config) any { return &c.Codec.Secret }},
	{Variable: Variable{Name: "CARTBACK_CODEC_OIDC_ISSUER", ReadBy: serverOnly,
		Description: "where operators log in to the Web UI with OIDC: the issuer (its tokens' `iss`, `https://login.example.com/realms/ops`) whose access tokens, passed by the UI with `TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true`, the codec endpoint accepts (JWTs, RS256 or ES256, checked against the keys of `<issuer>/.well-known/openid-configuration`)"},
		field: func(c *Config) any { return &c.Codec.OIDCIssuer }, check: isIssuer, requiredWith: "CARTBACK_CODEC_OIDC_AUDIENCE"},
	{Variable: Variable{Name: "CARTBACK_CODEC_OIDC_AUDIENCE", ReadBy: serverOnly,
		Description: "the audience (`aud`) those tokens must name: the API your provider issues the UI's access tokens for, or the UI's client ID where its access tokens are not JWTs (the UI's ID token is then checked)"},
		field: func(c *Config) any { return &c.Codec.OIDCAudience }, requiredWith: "CARTBACK_CODEC_OIDC_ISSUER"},

	// cartback dev.
	{Variable: Variable{Name: "CARTBACK_DATA_DIR", Default: DefaultDataDir, ReadBy: devAndItsClients,
		Description: "where `dev` keeps its Temporal's SQLite file and its generated keys (`start`, `state` and `reply` read its `id_key`)"},
		field: func(c *Config) any { return &c.Dev.DataDir }},
	{Variable: Variable{Name: "CARTBACK_RETENTION", Default: durationText(DefaultRetention), ReadBy: devOnly,
		Description: "how long a finished flow stays readable: the namespace's retention, at least 24h (Go duration); set by `dev` at every start and by docker-compose's setup"},
		field: func(c *Config) any { return &c.Dev.Retention }, minDuration: MinRetention},
	{Variable: Variable{Name: "CARTBACK_TEMPORAL_PORT", Default: strconv.Itoa(DefaultTemporalPort), ReadBy: devAndItsClients,
		Description: "the port of `dev`'s Temporal frontend (on 127.0.0.1), which `start`, `state` and `reply` dial when `TEMPORAL_ADDRESS` is unset"},
		field: func(c *Config) any { return &c.Dev.TemporalPort }},
	{Variable: Variable{Name: "CARTBACK_UI_PORT", Default: strconv.Itoa(DefaultUIPort), ReadBy: devOnly,
		Description: "the port of `dev`'s Temporal Web UI"},
		field: func(c *Config) any { return &c.Dev.UIPort }},
}

// byName indexes settings; init checks the table's own consistency once.
var byName = map[string]*setting{}

func init() {
	for i := range settings {
		s := &settings[i]
		if byName[s.Name] != nil {
			panic("config: " + s.Name + " is twice in the table")
		}
		byName[s.Name] = s
	}
	for _, s := range settings {
		if s.requiredWith != "" && (byName[s.requiredWith] == nil || byName[s.requiredWith].field == nil) {
			panic("config: " + s.Name + " is required with " + s.requiredWith + ", which Load does not read")
		}
	}
}

// Load reads the settings through lookup (os.LookupEnv in main). It checks the form of every value
// that is set and reports all the problems at once, each naming its variable. Whether a setting is
// required depends on the command that runs: see Require.
func Load(lookup func(string) (string, bool)) (Config, error) {
	r := &reader{lookup: lookup}
	var c Config
	for _, s := range settings {
		if s.field != nil {
			r.read(s, s.field(&c))
		}
	}
	for _, s := range settings {
		if s.requiredWith == "" {
			continue
		}
		if other := byName[s.requiredWith]; !isZero(other.field(&c)) && isZero(s.field(&c)) {
			r.fail(s.Name, "is required when "+other.Name+" is set")
		}
	}
	r.crossCheck(&c)
	return c, errors.Join(r.errs...)
}

// Require checks that every variable one of the commands requires (Variable.RequiredBy) is set,
// and names those that are not.
func (c Config) Require(commands ...string) error {
	var missing []string
	for _, s := range settings {
		if s.field == nil || !slices.ContainsFunc(commands, func(cmd string) bool { return slices.Contains(s.RequiredBy, cmd) }) {
			continue
		}
		if isZero(s.field(&c)) {
			missing = append(missing, s.Name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	return fmt.Errorf("missing required settings: %s", strings.Join(missing, ", "))
}

// RequireWorker checks what the worker cannot run without: the Graph API credentials.
func (c Config) RequireWorker() error { return c.Require(CommandWorker) }

// RequireServer checks what the HTTP server cannot run without: the keys that authenticate the
// storefront and Meta, and the workflow ID key.
func (c Config) RequireServer() error { return c.Require(CommandServer) }

func isZero(field any) bool {
	switch f := field.(type) {
	case *string:
		return *f == ""
	case *[]byte:
		return len(*f) == 0
	case *time.Duration:
		return *f == 0
	case *float64:
		return *f == 0
	case *int:
		return *f == 0
	case *[]string:
		return len(*f) == 0
	case *payloadcrypt.Keys:
		return len(*f) == 0
	}
	panic(fmt.Sprintf("config: unsupported field type %T", field))
}

// crossCheck checks what one variable says of another: the encrypting key is listed, the codec
// endpoint has keys to decode with and a password long enough.
func (r *reader) crossCheck(c *Config) {
	if c.Payload.KeyID != "" && len(c.Payload.Keys) > 0 && c.Payload.Keys[c.Payload.KeyID] == nil {
		r.fail("CARTBACK_PAYLOAD_KEY_ID", fmt.Sprintf("is %q, which CARTBACK_PAYLOAD_KEYS does not list (it lists %s)", c.Payload.KeyID, strings.Join(c.Payload.Keys.IDs(), ", ")))
	}
	if c.Codec.Secret != "" && len(c.Codec.Secret) < minCodecSecretLength {
		r.fail("CARTBACK_CODEC_SECRET", fmt.Sprintf("must be at least %d characters", minCodecSecretLength))
	}
	if c.Coupons.URL != "" && c.Events.Secret == "" {
		r.fail("CARTBACK_COUPON_URL", "is set, but CARTBACK_EVENTS_SECRET is not: the coupon requests are signed with it")
	}
	if c.Codec.Origin != "" && len(c.Payload.Keys) == 0 {
		r.fail("CARTBACK_CODEC_ORIGIN", "is set, but CARTBACK_PAYLOAD_KEYS is not: the codec endpoint has nothing to decrypt with")
	}
	if c.Codec.Origin != "" && c.Codec.Secret == "" && c.Codec.OIDCIssuer == "" {
		r.fail("CARTBACK_CODEC_ORIGIN", "is set, but neither CARTBACK_CODEC_SECRET nor CARTBACK_CODEC_OIDC_ISSUER is: the codec endpoint would show customers' data to anyone")
	}
	if c.Codec.OIDCIssuer != "" && c.Codec.Origin == "" {
		r.fail("CARTBACK_CODEC_OIDC_ISSUER", "is set, but CARTBACK_CODEC_ORIGIN is not: the codec endpoint is served to that origin only")
	}
}

// reader reads variables and collects every problem, so that one start reports them all.
type reader struct {
	lookup func(string) (string, bool)
	errs   []error
}

func (r *reader) fail(name, why string) { r.errs = append(r.errs, fmt.Errorf("%s %s", name, why)) }

// read sets field from s's variable, or from its default when the variable is unset or blank. A
// malformed value is reported and leaves the default in place.
func (r *reader) read(s setting, field any) {
	raw, set := "", false
	if v, ok := r.lookup(s.Name); ok && strings.TrimSpace(v) != "" {
		raw, set = strings.TrimSpace(v), true
	}
	if !set {
		raw = s.Default
	}
	if raw == "" {
		return
	}
	if err := parse(s, raw, field); err != nil {
		r.fail(s.Name, err.Error())
		if set && s.Default != "" {
			_ = parse(s, s.Default, field)
		}
	}
}

func parse(s setting, raw string, field any) error {
	switch f := field.(type) {
	case *string:
		if s.url {
			u, err := url.Parse(raw)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("must be an http(s) URL, not %q", raw)
			}
			raw = strings.TrimRight(raw, "/")
		}
		if s.check != nil {
			if err := s.check(raw); err != nil {
				return err
			}
		}
		*f = raw
	case *[]byte:
		if len(raw) < s.minLength {
			return fmt.Errorf("must be at least %d characters", s.minLength)
		}
		*f = []byte(raw)
	case *time.Duration:
		d, err := time.ParseDuration(raw)
		if s.zeroOff && err == nil && d == 0 {
			*f = 0
			return nil
		}
		if err != nil || d <= 0 {
			return fmt.Errorf("must be a positive Go duration such as 24h or 90m, not %q", raw)
		}
		if d < s.minDuration {
			return fmt.Errorf("must be at least %s, not %q", durationText(s.minDuration), raw)
		}
		*f = d
	case *float64:
		n, err := strconv.ParseFloat(raw, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("must be a positive number, not %q", raw)
		}
		*f = n
	case *int:
		p, err := strconv.Atoi(raw)
		if err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("must be a TCP port, 1 to 65535, not %q", raw)
		}
		*f = p
	case *[]string:
		codes, err := countries(raw)
		if err != nil {
			return err
		}
		*f = codes
	case *payloadcrypt.Keys:
		if strings.EqualFold(raw, "none") {
			*f = payloadcrypt.Keys{} // off, and not nil: see Payload.Off
			return nil
		}
		keys, err := payloadcrypt.ParseKeys(raw)
		if err != nil {
			return err
		}
		*f = keys
	default:
		panic(fmt.Sprintf("config: %s has an unsupported field type %T", s.Name, field))
	}
	return nil
}

// durationText writes whole hours as "24h" rather than time.Duration's "24h0m0s".
func durationText(d time.Duration) string {
	if d%time.Hour == 0 {
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	}
	return d.String()
}

// isOrigin accepts a bare origin, scheme://host[:port], as a browser sends it in Origin.
func isOrigin(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("must be an origin, scheme://host[:port] with no path, not %q", raw)
	}
	return nil
}

// isIssuer checks an OIDC issuer: an https URL without query or fragment (OpenID Connect
// Discovery 1.0, 2), or http on loopback for a local provider. It is kept verbatim, trailing slash
// included: tokens' iss must equal it.
func isIssuer(raw string) error {
	u, err := url.Parse(raw)
	loopback := err == nil && u.Scheme == "http" && (u.Hostname() == "localhost" || net.ParseIP(u.Hostname()).IsLoopback())
	if err != nil || (u.Scheme != "https" && !loopback) || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("must be an https URL with no query (its tokens' iss, e.g. https://login.example.com/realms/ops), not %q", raw)
	}
	return nil
}

// countries parses a comma-separated list of ISO 3166-1 alpha-2 codes; "none" is the empty list.
func countries(raw string) ([]string, error) {
	if strings.EqualFold(raw, "none") {
		return nil, nil
	}
	var codes []string
	for _, c := range strings.Split(raw, ",") {
		c = strings.ToUpper(strings.TrimSpace(c))
		if !phone.IsRegion(c) {
			return nil, fmt.Errorf("must be ISO 3166 country codes separated by commas (e.g. ID,MX), or none; %q is not one", c)
		}
		codes = append(codes, c)
	}
	return codes, nil
}

// checkShopifyOptIn accepts what the server reads: shopify.ParseOptIn.
func checkShopifyOptIn(s string) error {
	_, err := shopify.ParseOptIn(s)
	return err
}

// checkQuietHours accepts what the flows read: workflows.ParseQuietHours.
func checkQuietHours(s string) error {
	_, _, err := workflows.ParseQuietHours(s)
	return err
}

// messagesFile checks the messages file at start, before anything connects: a problem stops the
// process with the file's line.
func messagesFile(path string) error {
	_, err := messages.Load(path)
	return err
}

// couponMode accepts the values of CARTBACK_COUPON_MODE.
func couponMode(raw string) error {
	switch raw {
	case workflows.CouponGeneric, workflows.CouponDerived, workflows.CouponStorefront:
		return nil
	}
	return fmt.Errorf("must be generic, derived or storefront, not %q", raw)
}
