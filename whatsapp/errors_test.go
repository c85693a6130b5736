package whatsapp_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cartback/cartback/whatsapp"
)

func TestClassifyCodes(t *testing.T) {
	tests := []struct {
		code, status int
		want         whatsapp.Retry
	}{
		// Permanent for this message.
		{131047, 400, whatsapp.RetryNever},
		{131026, 400, whatsapp.RetryNever},
		{131049, 400, whatsapp.RetryNever},
		{131050, 400, whatsapp.RetryNever},
		{132000, 400, whatsapp.RetryNever},
		{132001, 404, whatsapp.RetryNever},
		{132016, 400, whatsapp.RetryNever},
		{368, 403, whatsapp.RetryNever},
		{100, 400, whatsapp.RetryNever},    // any other coded 4xx
		{131008, 400, whatsapp.RetryNever}, // any other coded 4xx
		// Throughput and rate limits, whatever the HTTP status.
		{130429, 400, whatsapp.RetrySoon},
		{131056, 400, whatsapp.RetrySoon},
		{80007, 400, whatsapp.RetrySoon},
		{4, 400, whatsapp.RetrySoon},
		{4, 403, whatsapp.RetrySoon},
		// Transient server trouble.
		{131000, 500, whatsapp.RetrySoon},
		{12345, 503, whatsapp.RetrySoon}, // unknown code on a 5xx
		// Operator needed.
		{190, 401, whatsapp.RetryLater},
		{190, 400, whatsapp.RetryLater},
		{132015, 400, whatsapp.RetryLater},
		// No code: HTTP status decides.
		{0, 500, whatsapp.RetrySoon},
		{0, 502, whatsapp.RetrySoon},
		{0, 429, whatsapp.RetrySoon},
		{0, 401, whatsapp.RetryLater},
		{0, 400, whatsapp.RetryNever},
		{0, 404, whatsapp.RetryNever},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d_http%d", tt.code, tt.status), func(t *testing.T) {
			e := &whatsapp.APIError{HTTPStatus: tt.status, Code: tt.code}
			if got := e.Retry(); got != tt.want {
				t.Errorf("Retry() = %v, want %v", got, tt.want)
			}
			// Classify must see through wrapping, as activities wrap errors.
			wrapped := fmt.Errorf("send reminder: %w", e)
			if got := whatsapp.Classify(wrapped); got != tt.want {
				t.Errorf("Classify(wrapped) = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestClassifyPlainErrors(t *testing.T) {
	if got := whatsapp.Classify(errors.New("connection reset by peer")); got != whatsapp.RetrySoon {
		t.Errorf("plain error: %v, want RetrySoon", got)
	}
	if got := whatsapp.Classify(fmt.Errorf("x: %w", whatsapp.ErrInvalidMessage)); got != whatsapp.RetryNever {
		t.Errorf("invalid message: %v, want RetryNever", got)
	}
	joined := errors.Join(errors.New("other"), &whatsapp.APIError{HTTPStatus: 401, Code: 190})
	if got := whatsapp.Classify(joined); got != whatsapp.RetryLater {
		t.Errorf("joined: %v, want RetryLater", got)
	}
}

func TestAPIErrorString(t *testing.T) {
	tests := []struct {
		err  whatsapp.APIError
		want string
	}{
		{whatsapp.APIError{HTTPStatus: 400, Code: 131056, Message: "(#131056) (Business Account, Consumer Account) pair rate limit hit"},
			"whatsapp: (#131056) (Business Account, Consumer Account) pair rate limit hit (http 400)"},
		{whatsapp.APIError{HTTPStatus: 401, Code: 190, Message: "Error validating access token"},
			"whatsapp: (#190) Error validating access token (http 401)"},
		{whatsapp.APIError{HTTPStatus: 502}, "whatsapp: Bad Gateway (http 502)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestRetryString(t *testing.T) {
	if whatsapp.RetrySoon.String() != "RetrySoon" || whatsapp.Retry(9).String() != "Retry(9)" {
		t.Errorf("String: %v %v", whatsapp.RetrySoon, whatsapp.Retry(9))
	}
}
