// Package uicodec is the Temporal Web UI's remote codec endpoint: POST /codec/encode and
// /codec/decode, the protocol the UI speaks ({"payloads": [...]}, each payload's metadata and data
// in base64), so that operators read decrypted payloads in the UI while Temporal stores only
// ciphertext.
//
// A browser on the UI's origin (and no other: CORS) may call it with a credential: the cookie that
// the endpoint's small login (/codec/login, one password) sets, which the UI sends when its codec
// settings include credentials. Tools outside a browser (the temporal CLI's --codec-auth) send the
// password as a bearer token instead. Without a password (the dev stack, on loopback) no credential
// is asked.
package uicodec

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

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

// The headers the UI sends with its codec calls (Authorization when it passes its access token).
const allowedHeaders = "Content-Type, X-Namespace, Authorization, Authorization-Extras"

// Options configure the endpoint.
type Options struct {
	// Codec encodes and decodes the payloads (payloadcrypt's). Required.
	Codec converter.PayloadCodec
	// Origin is the Web UI's origin, scheme://host[:port]: the only one a browser may call from.
	// Required.
	Origin string
	// Secret is the login's password (CARTBACK_CODEC_SECRET); it also keys the session cookie. Empty
	// asks for no credential: for a UI and an endpoint both on loopback only.
	Secret string
	// SessionLifetime is how long a login lasts; zero means DefaultSessionLifetime.
	SessionLifetime time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
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
	if !h.authorized(r) {
		http.Error(w, "log in at "+Prefix+"/login first", http.StatusUnauthorized)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	h.codec.ServeHTTP(w, r)
}

// authorized accepts a valid session cookie, or the password as a bearer token; anything when
// there is no password.
func (h *Handler) authorized(r *http.Request) bool {
	if h.opts.Secret == "" {
		return true
	}
	if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok &&
		subtle.ConstantTimeCompare([]byte(token), []byte(h.opts.Secret)) == 1 {
		return true
	}
	c, err := r.Cookie(CookieName)
	return err == nil && h.validSession(c.Value)
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
{{else if .LoggedIn}}<p>Logged in until {{.Until}}: the Web UI at <a href="{{.Origin}}">{{.Origin}}</a> now shows
customers' payloads decrypted.</p>
{{else}}<p>The Web UI at {{.Origin}} shows payloads decrypted once you log in here.</p>
{{if .Failed}}<p role="alert">Wrong password.</p>{{end}}
<form method="post"><label>Password <input type="password" name="password" autofocus required></label>
<button type="submit">Log in</button></form>{{end}}
</body></html>
`))

type loginView struct {
	Origin                 string
	Open, LoggedIn, Failed bool
	Until                  string
}

// serveLogin shows the form (GET) and checks the password (POST); a right one sets the session
// cookie: HttpOnly, SameSite=Strict (the UI and cartback are to be served from one site), Secure
// over HTTPS.
func (h *Handler) serveLogin(w http.ResponseWriter, r *http.Request) {
	view := loginView{Origin: h.opts.Origin, Open: h.opts.Secret == ""}
	status := http.StatusOK
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
		password := r.PostFormValue("password")
		if view.Open {
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
