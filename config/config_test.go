package config

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/contrib/envconfig"
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
	if c.Dev != (Dev{DataDir: DefaultDataDir, Retention: DefaultRetention, TemporalPort: DefaultTemporalPort, UIPort: DefaultUIPort}) {
		t.Errorf("dev defaults: %+v", c.Dev)
	}
	if c.Dev.Retention != 720*time.Hour {
		t.Errorf("retention default %v, want 30 days", c.Dev.Retention)
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
		"CARTBACK_DATA_DIR":         "/var/lib/cartback",
		"CARTBACK_RETENTION":        "24h",
		"CARTBACK_TEMPORAL_PORT":    "17233",
		"CARTBACK_UI_PORT":          " 18233 ",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.WhatsApp.BaseURL != "http://127.0.0.1:9999" || c.Flow.ReplyWindow != 90*time.Minute || c.SendsPerSecond != 2.5 ||
		string(c.IDKey) != "0123456789abcdef" || c.Events.URL != "https://shop.example.com/hooks" {
		t.Errorf("read: %+v", c)
	}
	if c.Dev != (Dev{DataDir: "/var/lib/cartback", Retention: 24 * time.Hour, TemporalPort: 17233, UIPort: 18233}) {
		t.Errorf("dev: %+v", c.Dev)
	}
}

func TestLoadReportsEveryBadVariable(t *testing.T) {
	bad := map[string]string{
		"WHATSAPP_API_BASE_URL":     "graph.facebook.com",
		"CARTBACK_REPLY_WINDOW":     "1 day",
		"CARTBACK_SENDS_PER_SECOND": "-1",
		"CARTBACK_EVENTS_URL":       "ftp://shop.example.com",
		"CARTBACK_ID_KEY":           "short",
		"CARTBACK_RETENTION":        "23h59m",
		"CARTBACK_TEMPORAL_PORT":    "70000",
		"CARTBACK_UI_PORT":          "http",
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
	for name, values := range map[string][]string{
		"CARTBACK_REPLY_WINDOW":  {"0", "-5m", "soon"},
		"CARTBACK_RETENTION":     {"0", "-720h", "30d", "1h", "23h"},
		"CARTBACK_TEMPORAL_PORT": {"0", "-1", "65536", "7233.5"},
		"CARTBACK_UI_PORT":       {"0", "65536", "ui"},
	} {
		for _, v := range values {
			if _, err := Load(env(map[string]string{name: v})); err == nil {
				t.Errorf("%s=%q accepted", name, v)
			}
		}
	}
	for name, v := range map[string]string{"CARTBACK_TEMPORAL_PORT": "1", "CARTBACK_UI_PORT": "65535", "CARTBACK_RETENTION": "8760h"} {
		if _, err := Load(env(map[string]string{name: v})); err != nil {
			t.Errorf("%s=%q refused: %v", name, v, err)
		}
	}
}

func TestRequireListsMissingVariables(t *testing.T) {
	var empty Config
	for name, tc := range map[string]struct {
		require func(Config) error
		want    []string
	}{
		"worker": {Config.RequireWorker, []string{"CARTBACK_DATABASE_URL", "CARTBACK_ID_KEY", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_TOKEN"}},
		"server": {Config.RequireServer, []string{"CARTBACK_API_KEY", "CARTBACK_DATABASE_URL", "CARTBACK_ID_KEY", "WHATSAPP_APP_SECRET", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_VERIFY_TOKEN"}},
	} {
		err := tc.require(empty)
		if err == nil {
			t.Errorf("%s: nothing missing in an empty config", name)
			continue
		}
		if got := "missing required settings: " + strings.Join(tc.want, ", "); err.Error() != got {
			t.Errorf("%s: %v, want %s", name, err, got)
		}
	}

	full, err := Load(env(map[string]string{
		"CARTBACK_API_KEY": "k", "CARTBACK_ID_KEY": "0123456789abcdef", "WHATSAPP_APP_SECRET": "s",
		"WHATSAPP_VERIFY_TOKEN": "v", "WHATSAPP_PHONE_NUMBER_ID": "1", "WHATSAPP_TOKEN": "t",
		"CARTBACK_DATABASE_URL": "postgres://cartback@db.internal:5432/cartback",
	}))
	if err != nil {
		t.Fatal(err)
	}
	for name, require := range map[string]func(Config) error{
		"worker": Config.RequireWorker, "server": Config.RequireServer,
	} {
		if err := require(full); err != nil {
			t.Errorf("%s: %v with everything set", name, err)
		}
	}
	// A key set by hand (as `dev` does with the ones it generates) counts as set.
	generated := Config{APIKey: "k", IDKey: []byte("0123456789abcdef"), DatabaseURL: full.DatabaseURL}
	generated.WhatsApp = full.WhatsApp
	if err := generated.RequireServer(); err != nil {
		t.Errorf("server with the keys set in code: %v", err)
	}
}

// TestRequireFollowsTheTable: what each command requires is exactly what the table says.
func TestRequireFollowsTheTable(t *testing.T) {
	for _, cmd := range Commands() {
		var want []string
		for _, v := range Variables() {
			if slices.Contains(v.RequiredBy, cmd) {
				want = append(want, v.Name)
			}
		}
		slices.Sort(want)
		err := Config{}.Require(cmd)
		switch {
		case len(want) == 0 && err != nil:
			t.Errorf("%s requires nothing in the table, Require says %v", cmd, err)
		case len(want) > 0 && (err == nil || err.Error() != "missing required settings: "+strings.Join(want, ", ")):
			t.Errorf("%s: Require says %v, the table requires %v", cmd, err, want)
		}
	}
}

// recorder is an environment that answers nothing and remembers every name asked for.
type recorder struct {
	names   map[string]bool
	answers map[string]string
}

func (r *recorder) LookupEnv(name string) (string, bool) {
	if r.names == nil {
		r.names = map[string]bool{}
	}
	r.names[name] = true
	v, ok := r.answers[name]
	return v, ok
}

func (r *recorder) Environ() []string { return nil }

// envconfigNames is every variable the Temporal SDK's envconfig reads, as cmd/cartback calls it
// (the TEMPORAL_GRPC_META_* prefix aside: it lists the environment for those).
func envconfigNames(t *testing.T) map[string]bool {
	t.Helper()
	// A config file that does not exist, so that the machine's own is not read.
	r := &recorder{answers: map[string]string{"TEMPORAL_CONFIG_FILE": filepath.Join(t.TempDir(), "none.toml")}}
	if _, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{EnvLookup: r}); err != nil {
		t.Fatal(err)
	}
	// The remote codec's settings are read, but cartback never asks for the remote codec
	// (IncludeRemoteCodec), so they change nothing and are not documented.
	delete(r.names, "TEMPORAL_CODEC_ENDPOINT")
	delete(r.names, "TEMPORAL_CODEC_AUTH")
	return r.names
}

// TestTableIsWhatIsRead: Load reads exactly the table's own variables, the SDK's envconfig exactly
// its Temporal ones: a variable read nowhere, or read and undocumented, fails here.
func TestTableIsWhatIsRead(t *testing.T) {
	own, temporal := map[string]bool{}, map[string]bool{}
	for _, s := range settings {
		if s.field != nil {
			own[s.Name] = true
		} else {
			temporal[s.Name] = true
		}
	}

	r := &recorder{}
	if _, err := Load(r.LookupEnv); err != nil {
		t.Fatal(err)
	}
	compareSets(t, "Load reads", r.names, "the table's own variables", own)
	compareSets(t, "envconfig reads", envconfigNames(t), "the table's Temporal variables", temporal)
}

func compareSets(t *testing.T, gotName string, got map[string]bool, wantName string, want map[string]bool) {
	t.Helper()
	for n := range got {
		if !want[n] {
			t.Errorf("%s %s, missing from %s", gotName, n, wantName)
		}
	}
	for n := range want {
		if !got[n] {
			t.Errorf("%s lists %s, which %s not", wantName, n, gotName)
		}
	}
}

func TestTableIsConsistent(t *testing.T) {
	commands := Commands()
	for _, v := range Variables() {
		if v.Description == "" || strings.ContainsAny(v.Description+v.Default, "|\n") {
			t.Errorf("%s: a description is required, on one line and without |: %q", v.Name, v.Description)
		}
		if len(v.ReadBy) == 0 {
			t.Errorf("%s is read by no command", v.Name)
		}
		for _, c := range append(slices.Clone(v.ReadBy), v.RequiredBy...) {
			if !slices.Contains(commands, c) {
				t.Errorf("%s: unknown command %q", v.Name, c)
			}
		}
		for _, c := range v.RequiredBy {
			if !slices.Contains(v.ReadBy, c) {
				t.Errorf("%s is required by %s, which does not read it", v.Name, c)
			}
		}
		if v.Secret && v.Default != "" {
			t.Errorf("%s is a secret with a default", v.Name)
		}
		if len(v.RequiredBy) > 0 && v.Default != "" {
			t.Errorf("%s is required and has a default", v.Name)
		}
	}
	// Variables hands out copies: the table cannot be changed through them.
	vs := Variables()
	vs[0].ReadBy[0] = "changed"
	if Variables()[0].ReadBy[0] == "changed" {
		t.Error("Variables shares its slices with the table")
	}
}

func TestMessagingPolicySettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Policy.AllowCountries) != 0 || !slices.Equal(c.Policy.DenyCountries, []string{"US"}) || c.Policy.FrequencyCap != 7*24*time.Hour {
		t.Fatalf("defaults: %+v", c.Policy)
	}
	c, err = Load(env(map[string]string{"CARTBACK_ALLOW_COUNTRIES": "id, mx", "CARTBACK_DENY_COUNTRIES": "none", "CARTBACK_FREQUENCY_CAP": "0"}))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Policy.AllowCountries, []string{"ID", "MX"}) || len(c.Policy.DenyCountries) != 0 || c.Policy.FrequencyCap != 0 {
		t.Fatalf("ID,MX / none / 0: %+v", c.Policy)
	}
	for name, value := range map[string]string{
		"CARTBACK_ALLOW_COUNTRIES": "MEX", "CARTBACK_DENY_COUNTRIES": "US,XX", "CARTBACK_FREQUENCY_CAP": "a week",
		"CARTBACK_DATABASE_URL": "mysql://db/cartback",
	} {
		_, err := Load(env(map[string]string{name: value}))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: %v, want an error naming it", name, value, err)
		}
	}
}

func TestTimingSettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Flow.SendDelay != time.Hour || c.Flow.QuietHours != "21:00-09:00" || c.Flow.ReplyGrace != 15*time.Minute {
		t.Fatalf("defaults: %+v", c.Flow)
	}
	c, err = Load(env(map[string]string{"CARTBACK_SEND_DELAY": "0", "CARTBACK_QUIET_HOURS": "off", "CARTBACK_REPLY_GRACE": "0"}))
	if err != nil || c.Flow.SendDelay != 0 || c.Flow.QuietHours != "off" || c.Flow.ReplyGrace != 0 {
		t.Fatalf("0 / off / 0: %+v, %v", c.Flow, err)
	}
	for name, value := range map[string]string{"CARTBACK_SEND_DELAY": "soon", "CARTBACK_QUIET_HOURS": "nights", "CARTBACK_REPLY_GRACE": "-1m"} {
		if _, err := Load(env(map[string]string{name: value})); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: %v, want an error naming it", name, value, err)
		}
	}
}
