package config

import (
	"strings"
	"testing"
	"time"
)

func TestAttributionWindow(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.AttributionWindow != 7*24*time.Hour {
		t.Fatalf("default: %v %v, want 168h", c.AttributionWindow, err)
	}
	if c, err = Load(env(map[string]string{"CARTBACK_ATTRIBUTION_WINDOW": "72h"})); err != nil || c.AttributionWindow != 72*time.Hour {
		t.Fatalf("72h: %v %v", c.AttributionWindow, err)
	}
	for _, value := range []string{"0", "-1h", "7d", "a week"} {
		_, err := Load(env(map[string]string{"CARTBACK_ATTRIBUTION_WINDOW": value}))
		if err == nil || !strings.Contains(err.Error(), "CARTBACK_ATTRIBUTION_WINDOW") {
			t.Errorf("CARTBACK_ATTRIBUTION_WINDOW=%q: %v, want an error naming it", value, err)
		}
	}
}
