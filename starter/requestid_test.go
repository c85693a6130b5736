package starter

import (
	"regexp"
	"testing"
)

func TestRequestID(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	sent, delivered := requestID("status", "wamid.1", "sent"), requestID("status", "wamid.1", "delivered")
	for _, id := range []string{sent, delivered, requestID("reply", "wamid.1")} {
		if !uuid.MatchString(id) {
			t.Errorf("%q is not a version 8 UUID", id)
		}
	}
	if sent != requestID("status", "wamid.1", "sent") {
		t.Error("the same status got two request ids")
	}
	distinct := map[string]bool{sent: true, delivered: true, requestID("reply", "wamid.1"): true, requestID("opt-out", "wamid.1"): true,
		requestID("status", "wamid.", "1sent"): true}
	if len(distinct) != 5 {
		t.Errorf("request ids collide: %v", distinct)
	}
	if requestID("reply", "") != "" || requestID("status", "wamid.1", "") != "" {
		t.Error("an event without an id must get no request id (the SDK's random one)")
	}
}
