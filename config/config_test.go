package config

import (
	"strings"
	"testing"
	"time"
)

// env is a fake environment for Load.
func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.WhatsApp.BaseURL != DefaultGraphBaseURL || c.WhatsApp.Version != DefaultGraphVersion ||
		c.WhatsApp.TemplateName != DefaultTemplateName || c.WhatsApp.TemplateLanguage != DefaultTemplateLanguage ||
		c.Flow.ReplyWindow != DefaultReplyWindow || c.Flow.CouponCode != DefaultCouponCode ||
		c.SendsPerSecond != DefaultSendsPerSecond || c.HTTPAddr != DefaultHTTPAddr {
		t.Errorf("defaults: %+v", c)
	}
}

func TestLoadReads(t *testing.T) {
	c, err := Load(env(map[string]string{
		"WHATSAPP_API_BASE_URL":     "http://127.0.0.1:9999/",
		"CARTBACK_REPLY_WINDOW":     "90m",
		"CARTBACK_SENDS_PER_SECOND": "2.5",
		"CARTBACK_ID_KEY":           "  0123456789abcdef  ",
		"CARTBACK_EVENTS_URL":       "https://shop.example.com/hooks",
		"CARTBACK_EVENTS_SECRET":    "s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.WhatsApp.BaseURL != "http://127.0.0.1:9999" || c.Flow.ReplyWindow != 90*time.Minute || c.SendsPerSecond != 2.5 ||
		string(c.IDKey) != "0123456789abcdef" || c.Events.URL != "https://shop.example.com/hooks" {
		t.Errorf("read: %+v", c)
	}
}

func TestLoadReportsEveryBadVariable(t *testing.T) {
	bad := map[string]string{
		"WHATSAPP_API_BASE_URL":     "graph.facebook.com",
		"CARTBACK_REPLY_WINDOW":     "1 day",
		"CARTBACK_SENDS_PER_SECOND": "-1",
		"CARTBACK_EVENTS_URL":       "ftp://shop.example.com",
		"CARTBACK_ID_KEY":           "short",
	}
	_, err := Load(env(bad))
	if err == nil {
		t.Fatal("Load accepted bad values")
	}
	for name := range bad {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}

	_, err = Load(env(map[string]string{"CARTBACK_EVENTS_URL": "https://shop.example.com/hooks"}))
	if err == nil || !strings.Contains(err.Error(), "CARTBACK_EVENTS_SECRET") {
		t.Errorf("events URL without a secret: %v, want CARTBACK_EVENTS_SECRET named", err)
	}
	for _, v := range []string{"0", "-5m", "soon"} {
		if _, err := Load(env(map[string]string{"CARTBACK_REPLY_WINDOW": v})); err == nil {
			t.Errorf("CARTBACK_REPLY_WINDOW=%q accepted", v)
		}
	}
}

func TestRequireListsMissingVariables(t *testing.T) {
	var empty Config
	for name, tc := range map[string]struct {
		require func(Config) error
		want    []string
	}{
		"worker":  {Config.RequireWorker, []string{"WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_TOKEN"}},
		"server":  {Config.RequireServer, []string{"CARTBACK_API_KEY", "CARTBACK_ID_KEY", "WHATSAPP_APP_SECRET", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_VERIFY_TOKEN"}},
		"starter": {Config.RequireStarter, []string{"CARTBACK_ID_KEY"}},
	} {
		err := tc.require(empty)
		if err == nil {
			t.Errorf("%s: nothing missing in an empty config", name)
			continue
		}
		for _, v := range tc.want {
			if !strings.Contains(err.Error(), v) {
				t.Errorf("%s: %v does not name %s", name, err, v)
			}
		}
	}

	full, err := Load(env(map[string]string{
		"CARTBACK_API_KEY": "k", "CARTBACK_ID_KEY": "0123456789abcdef", "WHATSAPP_APP_SECRET": "s",
		"WHATSAPP_VERIFY_TOKEN": "v", "WHATSAPP_PHONE_NUMBER_ID": "1", "WHATSAPP_TOKEN": "t",
	}))
	if err != nil {
		t.Fatal(err)
	}
	for name, require := range map[string]func(Config) error{
		"worker": Config.RequireWorker, "server": Config.RequireServer, "starter": Config.RequireStarter,
	} {
		if err := require(full); err != nil {
			t.Errorf("%s: %v with everything set", name, err)
		}
	}
}
