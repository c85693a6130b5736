//go:build !nodev

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cartback/cartback/config"
)

func devKeys(t *testing.T, vars map[string]string) *devStack {
	t.Helper()
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	s := &devStack{cfg: cfg}
	if err := s.keys(); err != nil {
		t.Fatal(err)
	}
	if err := s.stop(); err != nil { // the data directory's lock
		t.Fatal(err)
	}
	return s
}

// TestDevPayloadKey: the first start generates the payload key into the data directory, owner
// only; later starts and start/state/reply beside the stack use that one; CARTBACK_PAYLOAD_KEYS
// replaces it, none turns it off, and a command pointed at another deployment (its own
// CARTBACK_ID_KEY) never takes it.
func TestDevPayloadKey(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"CARTBACK_DATA_DIR": dir}
	first := devKeys(t, vars)
	ids := first.cfg.Payload.Keys.IDs()
	if len(ids) != 1 || !strings.HasPrefix(ids[0], "dev-") || first.cfg.Payload.KeyID != ids[0] {
		t.Fatalf("generated keys %v, encrypting with %q", ids, first.cfg.Payload.KeyID)
	}
	file := filepath.Join(dir, payloadKeyFile)
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the key file: %v %v", fi, err)
	}
	second := devKeys(t, vars)
	if second.cfg.Payload.Keys.String() != first.cfg.Payload.Keys.String() {
		t.Fatal("the payload key changed across a restart")
	}
	stack, err := loadStackConfig(env{lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	if stack.Payload.Keys.String() != first.cfg.Payload.Keys.String() || stack.Payload.KeyID != first.cfg.Payload.KeyID {
		t.Error("start, state and reply do not use the dev stack's payload key")
	}
	elsewhere, err := loadStackConfig(env{lookup: func(k string) (string, bool) {
		v, ok := map[string]string{"CARTBACK_DATA_DIR": dir, "CARTBACK_ID_KEY": "another deployment's key"}[k]
		return v, ok
	}})
	if err != nil || elsewhere.Payload.Keys != nil {
		t.Errorf("with its own CARTBACK_ID_KEY a command took the dev stack's payload key: %v %v", elsewhere.Payload.Keys.IDs(), err)
	}

	given := "k9:" + strings.Repeat("A", 43) + "="
	fresh := t.TempDir()
	set := devKeys(t, map[string]string{"CARTBACK_DATA_DIR": fresh, "CARTBACK_PAYLOAD_KEYS": given, "CARTBACK_PAYLOAD_KEY_ID": "k9"})
	if set.cfg.Payload.KeyID != "k9" {
		t.Errorf("CARTBACK_PAYLOAD_KEYS set: encrypting with %q", set.cfg.Payload.KeyID)
	}
	off := devKeys(t, map[string]string{"CARTBACK_DATA_DIR": fresh, "CARTBACK_PAYLOAD_KEYS": "none"})
	if len(off.cfg.Payload.Keys) != 0 {
		t.Errorf("none: keys %v", off.cfg.Payload.Keys.IDs())
	}
	if _, err := os.Stat(filepath.Join(fresh, payloadKeyFile)); !os.IsNotExist(err) {
		t.Errorf("a key file was written though CARTBACK_PAYLOAD_KEYS was set: %v", err)
	}

	if err := os.WriteFile(file, []byte("damaged\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _ := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	broken := &devStack{cfg: cfg}
	err = broken.keys()
	_ = broken.stop()
	if err == nil || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), "CARTBACK_PAYLOAD_KEYS") {
		t.Errorf("a damaged key file: %v", err)
	}
}
