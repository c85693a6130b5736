// Package uicodec is the Temporal Web UI's remote codec endpoint: POST /codec/encode and
// /codec/decode, the protocol the UI speaks ({"payloads": [...]}, each payload's metadata and data
// in base64), so that operators read decrypted payloads in the UI while Temporal stores only
// ciphertext.
//
// A browser on the UI's origin (and no other: CORS) may call it with a credential: the cookie that
// the endpoint's small login (/codec/login, one password) sets, which the UI sends when its codec
// settings include credentials; or, where operators log in to the UI with OpenID Connect, the
// access token the UI passes (passAccessToken), a JWT verified against the issuer's keys. Tools
// outside a browser (the temporal CLI's --codec-auth) send the password or a token as a bearer
// instead. Without either credential configured (the dev stack, on loopback) none is asked.
package uicodec

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"go.temporal.io/sdk/converter"
)

// Prefix is where the endpoint is mounted; the UI's codec endpoint setting is the server's URL
// with it, e.g. https://cartback.example.com/codec.
const Prefix = "/codec"

// CookieName is the login's session cookie.
const CookieName = "cartback_codec"

// Defaults.
const (
	// DefaultSessionLifetime is how long a login lasts.
	DefaultSessionLifetime = 12 * time.Hour
	// maxBody caps a request: the UI sends a page of payloads at a time, each at most Temporal's
	// 2 MB blob limit by default.
	maxBody = 16 << 20
)

// The headers the UI sends with its codec calls: Authorization (its access token) and
// Authorization-Extras (its ID token) when it passes its tokens.
const allowedHeaders = "Content-Type, X-Namespace, Authorization, Authorization-Extras"

// Options configure the endpoint.
type Options struct {
	// Codec encodes and decodes the payloads (payloadcrypt's). Required.
	Codec converter.PayloadCodec
	// Origin is the Web UI's origin, scheme://host[:port]: the only one a browser may call from.
	// Required.
	Origin string
	// Secret is the login's password (CARTBACK_CODEC_SECRET); it also keys the session cookie.
	Secret string
	// OIDC verifies the tokens of a UI whose operators log in with OpenID Connect. With neither it
	// nor Secret no credential is asked: for a UI and an endpoint both on loopback only.
	OIDC *OIDC
	// SessionLifetime is how long a login lasts; zero means DefaultSessionLifetime.
	SessionLifetime time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log gets the 5xx answers' causes; nil discards them.
	Log logrus.FieldLogger
}

// Handler serves the endpoint under Prefix.
type Handler struct {
	opts  Options
	codec http.Handler
}

// New returns the endpoint's handler.
func New(opts Options) (*Handler, error) {
	if opts.Codec == nil {
		return nil, errors.New("uicodec: a codec is required")
	}
	if opts.Origin == "" {
		return nil, errors.New("uicodec: the Web UI's origin is required")
	}
	opts.Origin = strings.TrimRight(opts.Origin, "/")
	if opts.SessionLifetime <= 0 {
		opts.SessionLifetime = DefaultSessionLifetime
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		discard := logrus.New()
		discard.SetOutput(io.Discard)
		opts.Log = discard
	}
	return &Handler{opts: opts, codec: converter.NewPayloadCodecHTTPHandler(opts.Codec)}, nil
}

// ServeHTTP routes /codec/encode, /codec/decode and /codec/login.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case Prefix + "/encode", Prefix + "/decode":
		h.serveCodec(w, r)
	case Prefix + "/login":
		h.serveLogin(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (h *Handler) serveCodec(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin != "" && origin != h.opts.Origin {
		// No CORS headers: the browser refuses the page its answer, and the call is not made.
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	w.Header().Add("Vary", "Origin")
	if origin != "" {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Allow-Credentials", "true")
	}
	switch r.Method {
	case http.MethodOptions: // the pre-flight of the UI's JSON POST
		w.Header().Set("Access-Control-Allow-Methods", "POST")
		w.Header().Set("Access-Control-Allow-Headers", allowedHeaders)
		w.Header().Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "POST, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if err := h.authorize(r); err != nil {
		if !errors.Is(err, errToken) { // the issuer's keys could not be had
			h.opts.Log.WithError(err).Error("the codec endpoint cannot verify OIDC tokens")
			http.Error(w, "cannot verify the token now: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		msg := h.refusal()
		if err != errToken { // a token was refused: say why, as the operator's provider set it up
			msg += " (" + err.Error() + ")"
		}
		http.Error(w, msg, http.StatusUnauthorized)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	h.codec.ServeHTTP(w, r)
}

// open says the endpoint asks for no credential.
func (h *Handler) open() bool { return h.opts.Secret == "" && h.opts.OIDC == nil }

// refusal is what a call without a valid credential is told.
func (h *Handler) refusal() string {
	switch {
	case h.opts.OIDC == nil:
		return "log in at " + Prefix + "/login first"
	case h.opts.Secret == "":
		return "a valid access token of the Web UI's OIDC login is required"
	}
	return "log in at " + Prefix + "/login first, or pass the Web UI's OIDC access token"
}

// authorize accepts a valid session cookie, the password as a bearer token, or (with OIDC) a valid
// token: the bearer, else the ID token the UI sends in Authorization-Extras (for providers whose
// access tokens are not JWTs); anything when no credential is configured. An error wrapping
// errToken refuses the call; any other says the issuer's keys could not be had.
func (h *Handler) authorize(r *http.Request) error {
	if h.open() {
		return nil
	}
	bearer, hasBearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if h.opts.Secret != "" {
		if hasBearer && subtle.ConstantTimeCompare([]byte(bearer), []byte(h.opts.Secret)) == 1 {
			return nil
		}
		if c, err := r.Cookie(CookieName); err == nil && h.validSession(c.Value) {
			return nil
		}
	}
	if h.opts.OIDC == nil {
		return errToken
	}
	idToken := strings.TrimPrefix(r.Header.Get("Authorization-Extras"), "Bearer ")
	var errs []error
	for _, token := range []string{bearer, idToken} {
		if token == "" {
			continue
		}
		err := h.opts.OIDC.Verify(r.Context(), token)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	for _, err := range errs {
		if !errors.Is(err, errToken) {
			return err
		}
	}
	if len(errs) == 0 {
		return errToken
	}
	return fmt.Errorf("%w: %v", errToken, errors.Join(errs...))
}

// session is a cookie value: its expiry and an HMAC of it under the password, so that changing the
// password ends every session.
func (h *Handler) session(expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return exp + "." + h.mac(exp)
}

func (h *Handler) mac(exp string) string {
	m := hmac.New(sha256.New, []byte(h.opts.Secret))
	m.Write([]byte("cartback codec session " + exp))
	return hex.EncodeToString(m.Sum(nil))
}

func (h *Handler) validSession(v string) bool {
	exp, sig, ok := strings.Cut(v, ".")
	if !ok {
		return false
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !h.opts.Now().Before(time.Unix(unix, 0)) {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(h.mac(exp)))
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cartback: payload codec login</title></head>
<body style="font-family: sans-serif; max-width: 32em; margin: 4em auto">
<h1>Payload codec</h1>
{{if .Open}}<p>This endpoint asks for no login: the Web UI at <a href="{{.Origin}}">{{.Origin}}</a> shows
customers' payloads decrypted.</p>
{{else if .TokenOnly}}<p>This endpoint has no password: log in to the Web UI at <a href="{{.Origin}}">{{.Origin}}</a>,
which passes its OIDC access token.</p>
{{else if .LoggedIn}}<p>Logged in until {{.Until}}: the Web UI at <a href="{{.Origin}}">{{.Origin}}</a> now shows
customers' payloads decrypted.</p>
{{else}}<p>The Web UI at {{.Origin}} shows payloads decrypted once you log in here.</p>
{{if .Failed}}<p role="alert">Wrong password.</p>{{end}}
<form method="post"><label>Password <input type="password" name="password" autofocus required></label>
<button type="submit">Log in</button></form>{{end}}
</body></html>
`))

type loginView struct {
	Origin                            string
	Open, TokenOnly, LoggedIn, Failed bool
	Until                             string
}

// serveLogin shows the form (GET) and checks the password (POST); a right one sets the session
// cookie: HttpOnly, SameSite=Strict (the UI and cartback are to be served from one site), Secure
// over HTTPS.
func (h *Handler) serveLogin(w http.ResponseWriter, r *http.Request) {
	view := loginView{Origin: h.opts.Origin, Open: h.open(), TokenOnly: h.opts.Secret == "" && h.opts.OIDC != nil}
	status := http.StatusOK
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
		password := r.PostFormValue("password")
		if view.Open || view.TokenOnly {
			break
		}
		if subtle.ConstantTimeCompare([]byte(password), []byte(h.opts.Secret)) != 1 {
			view.Failed, status = true, http.StatusUnauthorized
			break
		}
		until := h.opts.Now().Add(h.opts.SessionLifetime)
		http.SetCookie(w, &http.Cookie{
			Name: CookieName, Value: h.session(until), Path: Prefix, Expires: until,
			HttpOnly: true, SameSite: http.SameSiteStrictMode,
			Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https",
		})
		view.LoggedIn, view.Until = true, until.UTC().Format(time.RFC1123)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := loginPage.Execute(w, view); err != nil {
		fmt.Fprintln(w, err)
	}
}
