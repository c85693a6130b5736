//go:build !nodev

package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cartback/cartback/sandbox"
	"github.com/cartback/cartback/workflows"
)

// stackVars is the environment of a terminal beside the dev stack s: only the dev stack's own
// settings, as `cartback dev` was given them (its data directory, and the port its Temporal took),
// and no Temporal profile of the machine's.
func stackVars(t *testing.T, s *devStack) map[string]string {
	t.Helper()
	_, port, err := net.SplitHostPort(s.temporal.FrontendAddress())
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"CARTBACK_DATA_DIR":      s.cfg.Dev.DataDir,
		"CARTBACK_TEMPORAL_PORT": port,
		"CARTBACK_HTTP_ADDR":     strings.TrimPrefix(s.baseURL, "http://"),
		"TEMPORAL_CONFIG_FILE":   filepath.Join(t.TempDir(), "none.toml"),
		"CARTBACK_SEND_DELAY":    s.cfg.Flow.SendDelay.String(),
		"CARTBACK_QUIET_HOURS":   s.cfg.Flow.QuietHours,
	}
}

func inbound(entries []sandbox.Entry) int {
	n := 0
	for _, e := range entries {
		if e.Direction == sandbox.DirectionIn {
			n++
		}
	}
	return n
}

// TestCommandsAgainstTheDevStack: with only the dev stack's settings (no CARTBACK_ID_KEY, no
// TEMPORAL_ADDRESS), start and state reach its flows and reply answers them, saying whether a
// flow took the reply; a reply no flow waits for is not sent; an unreachable sandbox is said once.
func TestCommandsAgainstTheDevStack(t *testing.T) {
	s := startTestStack(t, t.TempDir(), false)
	vars := stackVars(t, s)
	const number, cartID = "+525523456789", "c_cli"
	cart := filepath.Join(t.TempDir(), "cart.json")
	if err := os.WriteFile(cart, []byte(cartJSON(cartID, number)), 0o600); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runAsMain(t, vars, "start", cart)
	var started struct {
		WorkflowID string `json:"workflow_id"`
		Status     string `json:"status"`
	}
	if err := json.Unmarshal([]byte(stdout), &started); code != 0 || err != nil || started.Status != "started" {
		t.Fatalf("start: exit %d, %q, %q", code, stdout, stderr)
	}
	if want := workflows.WorkflowID(s.cfg.IDKey, number); started.WorkflowID != want {
		t.Fatalf("start used another ID key: workflow %s, the dev stack's flow would be %s", started.WorkflowID, want)
	}
	s.await(t, number, isTemplate)

	code, stdout, stderr = runAsMain(t, vars, "state", cartID)
	var state struct {
		CartID string `json:"cart_id"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(stdout), &state); code != 0 || err != nil || state.CartID != cartID || state.Status != "running" {
		t.Fatalf("state: exit %d, %q, %q", code, stdout, stderr)
	}

	t.Run("sandbox unreachable", func(t *testing.T) {
		port := closedPort(t)
		unreached := map[string]string{"CARTBACK_HTTP_ADDR": "127.0.0.1:" + port}
		for k, v := range vars {
			if k != "CARTBACK_HTTP_ADDR" {
				unreached[k] = v
			}
		}
		code, stdout, stderr := runAsMain(t, unreached, "reply", number, "2")
		out := stdout + stderr
		if code != 1 || strings.Count(out, "127.0.0.1:"+port) != 1 || strings.Count(out, "is `cartback dev` running?") != 1 ||
			strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Errorf("reply: exit %d, %q; want one line naming the sandbox's address once", code, out)
		}
	})

	before := inbound(s.sandbox.Conversation(number))
	code, stdout, stderr = runAsMain(t, vars, "reply", number, "2")
	if code != 0 || stdout != "the reply reached the flow for cart "+cartID+"\n" {
		t.Fatalf("reply: exit %d, %q, %q", code, stdout, stderr)
	}
	if coupon := s.await(t, number, isFollowUp); !strings.Contains(coupon.Text, "SAVE10") {
		t.Fatalf("follow-up %q: want the coupon", coupon.Text)
	}
	if got := inbound(s.sandbox.Conversation(number)); got != before+1 {
		t.Fatalf("%d shopper messages in the sandbox, want %d", got, before+1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.client.GetWorkflow(ctx, started.WorkflowID, "").Get(ctx, nil); err != nil {
		t.Fatal(err)
	}

	t.Run("no conversation waits", func(t *testing.T) {
		const stranger = "+525523450199" // never had a flow
		for _, n := range []string{number, stranger} {
			before := inbound(s.sandbox.Conversation(n))
			code, stdout, stderr := runAsMain(t, vars, "reply", n, "1")
			if code != 1 || stdout != "" || !strings.Contains(stderr, "no conversation is waiting for "+n) {
				t.Errorf("reply %s: exit %d, %q, %q; want no conversation", n, code, stdout, stderr)
			}
			if got := inbound(s.sandbox.Conversation(n)); got != before {
				t.Errorf("reply %s was sent to the sandbox", n)
			}
		}
	})

	t.Run("anyway", func(t *testing.T) {
		before := inbound(s.sandbox.Conversation(number))
		code, stdout, stderr := runAsMain(t, vars, "reply", "-anyway", number, "1")
		if code != 0 || !strings.Contains(stdout, "no conversation is waiting for "+number) {
			t.Errorf("reply -anyway: exit %d, %q, %q", code, stdout, stderr)
		}
		if got := inbound(s.sandbox.Conversation(number)); got != before+1 {
			t.Errorf("%d shopper messages in the sandbox, want %d", got, before+1)
		}
	})
}
