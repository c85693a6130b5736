package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testEnv is an environment holding only vars.
func testEnv(vars map[string]string) (env, *bytes.Buffer) {
	var out bytes.Buffer
	return env{
		lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		stdin:  strings.NewReader(""),
		stdout: &out,
		stderr: &out,
	}, &out
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"nope"}, {"start"}, {"state"}, {"worker", "extra"}, {"server", "extra"}} {
		e, _ := testEnv(nil)
		if err := run(context.Background(), args, e); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

// TestSettingsAreCheckedBeforeAnythingStarts: each command stops at once on a missing or invalid
// setting, naming the variable, without reaching Temporal.
func TestSettingsAreCheckedBeforeAnythingStarts(t *testing.T) {
	cart := filepath.Join(t.TempDir(), "cart.json")
	if err := os.WriteFile(cart, []byte(`{"cart_id": "c1"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		vars map[string]string
		want []string
	}{
		{[]string{"worker"}, nil, []string{"WHATSAPP_TOKEN", "WHATSAPP_PHONE_NUMBER_ID"}},
		{[]string{"server"}, nil, []string{"CARTBACK_API_KEY", "CARTBACK_ID_KEY", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"}},
		{[]string{"state", "c1"}, nil, []string{"CARTBACK_ID_KEY"}},
		{[]string{"start", cart}, map[string]string{"CARTBACK_REPLY_WINDOW": "soon"}, []string{"CARTBACK_REPLY_WINDOW"}},
		{[]string{"server"}, map[string]string{"CARTBACK_SENDS_PER_SECOND": "0"}, []string{"CARTBACK_SENDS_PER_SECOND"}},
	} {
		e, _ := testEnv(tc.vars)
		err := run(context.Background(), tc.args, e)
		for _, v := range tc.want {
			if err == nil || !strings.Contains(err.Error(), v) {
				t.Errorf("%v: %v, want %s named", tc.args, err, v)
			}
		}
	}
}

func TestStartRefusesAnInvalidCartBeforeConnecting(t *testing.T) {
	e, _ := testEnv(map[string]string{"CARTBACK_ID_KEY": "0123456789abcdef", "TEMPORAL_ADDRESS": "127.0.0.1:1"})
	e.stdin = strings.NewReader(`{"cart_id": "c1", "currency": "XYZ"}`)
	err := run(context.Background(), []string{"start", "-"}, e)
	if err == nil || !strings.Contains(err.Error(), "currency") {
		t.Errorf("start: %v, want the invalid fields", err)
	}
}
