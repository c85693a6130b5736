package whatsapp

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// APIError is a non-2xx answer from the Graph API, decoded from Meta's
// {"error":{...}} envelope. Code is zero when the body carried no usable
// error object (an HTML page from a proxy, an empty body, ...); Message then
// holds a short excerpt of the raw body so the failure stays diagnosable.
type APIError struct {
	HTTPStatus int    // HTTP status of the answer
	Code       int    // error.code, Meta's primary error code (0 if absent)
	Subcode    int    // error.error_subcode (0 if absent)
	Type       string // error.type, e.g. "OAuthException"
	Message    string // error.message, usually "(#code) title"
	Details    string // error.error_data.details, the human explanation
	FBTraceID  string // error.fbtrace_id, quote it when contacting Meta support
}

// Error renders the error like Meta's message, e.g.
// "whatsapp: (#131056) (Business Account, Consumer Account) pair rate limit hit (http 400)".
func (e *APIError) Error() string {
	msg := e.Message
	if e.Code != 0 && !strings.HasPrefix(msg, "(#") {
		// Not every Meta message carries the "(#code)" prefix (190 does not);
		// add it so logs always show the code that drives classification.
		msg = strings.TrimSpace(fmt.Sprintf("(#%d) %s", e.Code, msg))
	}
	if msg == "" {
		msg = http.StatusText(e.HTTPStatus)
	}
	return fmt.Sprintf("whatsapp: %s (http %d)", msg, e.HTTPStatus)
}

// Retry tells a caller (a Temporal activity) what to do with a failed send.
type Retry int

const (
	// RetryNever means the send is permanently rejected: retrying the same
	// request can only fail again (or annoy the shopper).
	RetryNever Retry = iota
	// RetrySoon means a transient failure (throughput, pair rate limit,
	// server error, network): retry with backoff.
	RetrySoon
	// RetryLater means nothing will succeed until an operator acts
	// (rotate the token, fix the template); park the work and alert.
	RetryLater
)

// String returns the constant's name, for logs and test output.
func (r Retry) String() string {
	switch r {
	case RetryNever:
		return "RetryNever"
	case RetrySoon:
		return "RetrySoon"
	case RetryLater:
		return "RetryLater"
	}
	return fmt.Sprintf("Retry(%d)", int(r))
}

// Meta error codes the classification knows about. Meta recommends keying
// error handling on code (not message or HTTP status): 131056, for one,
// arrives with HTTP 400 yet is a transient rate limit.
const (
	// Retry soon: throughput and rate limits, transient server trouble.
	codeTooManyCalls      = 4      // Graph API app-level rate limit (too many calls)
	codeTemporarilyDown   = 2      // Graph API service temporarily unavailable
	codeWABARateLimit     = 80007  // WhatsApp Business Account rate limit reached
	codeThroughput        = 130429 // Cloud API message throughput (MPS) limit reached
	codeSomethingWrong    = 131000 // unknown error while sending; Meta suggests retrying
	codeServiceDown       = 131016 // a WhatsApp service is temporarily unavailable
	codePairRateLimit     = 131056 // too many messages to the same customer too quickly
	codeServerUnavailable = 133004 // Cloud API server temporarily unavailable

	// Retry later: an operator has to act before anything can succeed.
	codeAccessToken    = 190    // access token expired, invalid or revoked
	codeAccountLocked  = 131031 // business account locked (policy or integrity)
	codePaymentIssue   = 131042 // business eligibility / payment method problem
	codeTemplatePaused = 132015 // template paused for low quality

	// Retry never: this message, as built, will not be delivered.
	codeTemporarilyBlocked  = 368    // account temporarily blocked for policy violations
	codeReengagement        = 131047 // >24h since the customer last replied: only templates allowed
	codeUndeliverable       = 131026 // recipient not on WhatsApp, outdated app, or not accepting business messages
	codeEcosystemEngagement = 131049 // Meta withheld the marketing message to protect engagement
	codeMarketingOptOut     = 131050 // customer stopped marketing messages from this business
	codeTemplateParamCount  = 132000 // body parameter count differs from the template's
	codeTemplateMissing     = 132001 // template name/language does not exist or is not approved
	codeTemplateDisabled    = 132016 // template paused too many times and permanently disabled
)

// Retry classifies the error: by Meta's error code first, and by HTTP status
// only when the body carried no code.
func (e *APIError) Retry() Retry {
	switch e.Code {
	case codeTooManyCalls, codeTemporarilyDown, codeWABARateLimit, codeThroughput,
		codeSomethingWrong, codeServiceDown, codePairRateLimit, codeServerUnavailable:
		return RetrySoon
	case codeAccessToken, codeAccountLocked, codePaymentIssue, codeTemplatePaused:
		return RetryLater
	case codeTemporarilyBlocked, codeReengagement, codeUndeliverable, codeEcosystemEngagement,
		codeMarketingOptOut, codeTemplateParamCount, codeTemplateMissing, codeTemplateDisabled:
		// 368 belongs here, not with the operator cases: a policy block
		// lasts days, longer than a cart stays worth winning back.
		return RetryNever
	case 0:
		return classifyStatus(e.HTTPStatus)
	}
	// An unlisted code: a server-side status means Meta had trouble, anything
	// else means Meta understood and refused the request.
	if e.HTTPStatus >= 500 {
		return RetrySoon
	}
	return RetryNever
}

// classifyStatus is the fallback for answers without an error code.
func classifyStatus(status int) Retry {
	switch {
	case status >= 500, status == http.StatusTooManyRequests, status == http.StatusRequestTimeout:
		return RetrySoon
	case status == http.StatusUnauthorized:
		// Without a code a 401 still means the credentials are wrong.
		return RetryLater
	}
	return RetryNever
}

// ErrInvalidMessage marks a message rejected by the client before anything
// was sent (missing recipient, empty template name, ...). It is a caller bug,
// so Classify reports RetryNever for it.
var ErrInvalidMessage = errors.New("whatsapp: invalid message")

// ErrNoMessageID is returned when Meta answered 2xx but the body held no
// messages[0].id. The send may or may not have happened; Classify treats it
// as RetrySoon like any other non-API failure.
var ErrNoMessageID = errors.New("whatsapp: success response without message id")

// Classify tells how to retry err, which must not be nil. An *APIError
// anywhere in the chain is classified by Retry; an ErrInvalidMessage is
// RetryNever; every other error (timeout, connection refused, unreadable
// success body) is RetrySoon because nothing says the request was refused.
func Classify(err error) Retry {
	if err == nil {
		return RetryNever // documented as not to be called; stay harmless
	}
	if apiErr, ok := errors.AsType[*APIError](err); ok {
		return apiErr.Retry()
	}
	if errors.Is(err, ErrInvalidMessage) {
		return RetryNever
	}
	return RetrySoon
}
