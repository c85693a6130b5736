package config

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

func TestPayloadAndCodecSettings(t *testing.T) {
	k1 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	k2 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	c, err := Load(env(map[string]string{
		"CARTBACK_PAYLOAD_KEYS":   "k1:" + k1 + ",k2:" + k2,
		"CARTBACK_PAYLOAD_KEY_ID": "k2",
		"CARTBACK_CODEC_ORIGIN":   "https://temporal-ui.example.com/",
		"CARTBACK_CODEC_SECRET":   "a codec password of some length",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Payload.Keys) != 2 || c.Payload.KeyID != "k2" || !bytes.Equal(c.Payload.Keys["k1"], bytes.Repeat([]byte{1}, 32)) {
		t.Errorf("payload: ids %v, encrypting %q", c.Payload.Keys.IDs(), c.Payload.KeyID)
	}
	if c.Codec.Origin != "https://temporal-ui.example.com" {
		t.Errorf("origin %q", c.Codec.Origin)
	}
	oidc, err := Load(env(map[string]string{
		"CARTBACK_PAYLOAD_KEYS": "k1:" + k1, "CARTBACK_PAYLOAD_KEY_ID": "k1",
		"CARTBACK_CODEC_ORIGIN":      "https://temporal-ui.example.com",
		"CARTBACK_CODEC_OIDC_ISSUER": "https://tenant.auth0.com/", "CARTBACK_CODEC_OIDC_AUDIENCE": "temporal-ui",
	}))
	// The issuer is kept verbatim: its tokens' iss ends with that slash.
	if err != nil || oidc.Codec.OIDCIssuer != "https://tenant.auth0.com/" || oidc.Codec.OIDCAudience != "temporal-ui" || oidc.Codec.Secret != "" {
		t.Errorf("OIDC without a password: %+v, %v", oidc.Codec, err)
	}

	off, err := Load(env(nil))
	if err != nil || len(off.Payload.Keys) != 0 || off.Payload.KeyID != "" {
		t.Errorf("unset, encryption is off: %+v, %v", off.Payload, err)
	}

	for _, tc := range []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"a key id without keys", map[string]string{"CARTBACK_PAYLOAD_KEY_ID": "k1"},
			[]string{"CARTBACK_PAYLOAD_KEYS is required when CARTBACK_PAYLOAD_KEY_ID is set"}},
		{"keys without the id", map[string]string{"CARTBACK_PAYLOAD_KEYS": "k1:" + k1},
			[]string{"CARTBACK_PAYLOAD_KEY_ID is required when CARTBACK_PAYLOAD_KEYS is set"}},
		{"an id that is not listed", map[string]string{"CARTBACK_PAYLOAD_KEYS": "k1:" + k1 + ",k2:" + k2, "CARTBACK_PAYLOAD_KEY_ID": "k3"},
			[]string{`CARTBACK_PAYLOAD_KEY_ID is "k3", which CARTBACK_PAYLOAD_KEYS does not list (it lists k1, k2)`}},
		{"a short key", map[string]string{"CARTBACK_PAYLOAD_KEYS": "k1:" + k1[:24], "CARTBACK_PAYLOAD_KEY_ID": "k1"},
			[]string{`CARTBACK_PAYLOAD_KEYS has a key for "k1" of 18 bytes: AES-256 needs 32`}},
		{"no id", map[string]string{"CARTBACK_PAYLOAD_KEYS": k1, "CARTBACK_PAYLOAD_KEY_ID": "k1"},
			[]string{"CARTBACK_PAYLOAD_KEYS has an entry without a key id"}},
		{"a codec origin without a credential nor keys", map[string]string{"CARTBACK_CODEC_ORIGIN": "https://ui.example.com"},
			[]string{"CARTBACK_CODEC_ORIGIN is set, but neither CARTBACK_CODEC_SECRET nor CARTBACK_CODEC_OIDC_ISSUER is", "CARTBACK_CODEC_ORIGIN is set, but CARTBACK_PAYLOAD_KEYS is not"}},
		{"a secret without an origin", map[string]string{"CARTBACK_CODEC_SECRET": "a codec password of some length"},
			[]string{"CARTBACK_CODEC_ORIGIN is required when CARTBACK_CODEC_SECRET is set"}},
		{"an issuer without its audience nor an origin", map[string]string{"CARTBACK_CODEC_OIDC_ISSUER": "https://login.example.com/realms/ops"},
			[]string{"CARTBACK_CODEC_OIDC_AUDIENCE is required when CARTBACK_CODEC_OIDC_ISSUER is set", "CARTBACK_CODEC_OIDC_ISSUER is set, but CARTBACK_CODEC_ORIGIN is not"}},
		{"an audience without an issuer", map[string]string{"CARTBACK_CODEC_OIDC_AUDIENCE": "ui"},
			[]string{"CARTBACK_CODEC_OIDC_ISSUER is required when CARTBACK_CODEC_OIDC_AUDIENCE is set"}},
		{"an issuer over plain http", map[string]string{"CARTBACK_PAYLOAD_KEYS": "k1:" + k1, "CARTBACK_PAYLOAD_KEY_ID": "k1",
			"CARTBACK_CODEC_ORIGIN": "https://ui.example.com", "CARTBACK_CODEC_OIDC_ISSUER": "http://login.example.com", "CARTBACK_CODEC_OIDC_AUDIENCE": "ui"},
			[]string{"CARTBACK_CODEC_OIDC_ISSUER must be an https URL"}},
		{"an origin with a path, a short secret", map[string]string{"CARTBACK_PAYLOAD_KEYS": "k1:" + k1, "CARTBACK_PAYLOAD_KEY_ID": "k1",
			"CARTBACK_CODEC_ORIGIN": "https://ui.example.com/namespaces", "CARTBACK_CODEC_SECRET": "short"},
			[]string{"CARTBACK_CODEC_ORIGIN must be an origin", "CARTBACK_CODEC_SECRET must be at least 16 characters"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(env(tc.vars))
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nwant %q", err, w)
				}
			}
			if strings.Contains(err.Error(), k1) || strings.Contains(err.Error(), k1[:24]) {
				t.Errorf("the error repeats a key: %v", err)
			}
		})
	}
}

// TestPayloadKeysNone: none turns encryption off, which unset does not for dev.
func TestPayloadKeysNone(t *testing.T) {
	c, err := Load(env(map[string]string{"CARTBACK_PAYLOAD_KEYS": "None"}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Payload.Off() || len(c.Payload.Keys) != 0 {
		t.Errorf("none: %+v", c.Payload)
	}
	unset, err := Load(env(nil))
	if err != nil || unset.Payload.Off() {
		t.Errorf("unset is not off: %+v, %v", unset.Payload, err)
	}
}

// TestComposeWiresTheUIToTheCodec: the UI service calls the server's codec endpoint where the
// browser reaches it (the server's published port) with the login's cookie.
func TestComposeWiresTheUIToTheCodec(t *testing.T) {
	f, _ := readCompose(t)
	_, ui := oneService(t, f, "temporalio/ui")
	server := cartbackServices(t, f)[CommandServer]
	if len(server.Ports) != 1 {
		t.Fatalf("the server publishes %v", server.Ports)
	}
	ip, rest, _ := strings.Cut(server.Ports[0], ":")
	hostPort, _, _ := strings.Cut(rest, ":")
	want := map[string]string{
		"TEMPORAL_CODEC_ENDPOINT":            "http://" + ip + ":" + hostPort + "/codec",
		"TEMPORAL_CODEC_INCLUDE_CREDENTIALS": "true",
		"TEMPORAL_CODEC_PASS_ACCESS_TOKEN":   "false",
	}
	for name, v := range want {
		if got := ui.Environment[name]; got == nil || *got != v {
			t.Errorf("the UI's %s is %v, want %q", name, deref(got), v)
		}
	}
}
