//go:build !nodev

package main

import (
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/cartback/cartback/payloadcrypt"
	"github.com/cartback/cartback/workflows"
)

// TestFlowsRunAcrossEncryptionSwitches: a flow started in clear (CARTBACK_PAYLOAD_KEYS=none) and one
// started once encryption is on (the key `dev` generates) both wait for their replies while the key
// rotates (a second key added, the id switched to it, the first still listed); both replies are
// taken and both flows end. Their histories hold what each stack wrote: the first flow's input in
// clear, the second's sealed with the first key, the replies with the second.
func TestFlowsRunAcrossEncryptionSwitches(t *testing.T) {
	dir := t.TempDir()
	vars := func(extra map[string]string) map[string]string {
		v := map[string]string{"CARTBACK_DATA_DIR": dir, "CARTBACK_HTTP_ADDR": "127.0.0.1:0"}
		for k, x := range extra {
			v[k] = x
		}
		return v
	}
	// Mexican mobiles: the storefront has their E.164, WhatsApp reports them as 521….
	type shopper struct{ cartID, phone, waID string }
	clear := shopper{"c_switch_clear", "+525512340001", "5215512340001"}
	sealed := shopper{"c_switch_sealed", "+525512340002", "5215512340002"}

	plain := startTestStackWith(t, vars(map[string]string{"CARTBACK_PAYLOAD_KEYS": "none"}), false)
	if code := plain.api(t, http.MethodPost, "/v1/carts", cartJSON(clear.cartID, clear.phone), nil); code != http.StatusAccepted {
		t.Fatalf("POST /v1/carts: %d", code)
	}
	plain.await(t, clear.phone, isTemplate)
	if err := plain.stop(); err != nil {
		t.Fatal(err)
	}

	first := startTestStackWith(t, vars(nil), false) // generates its key
	firstID := first.cfg.Payload.KeyID
	if firstID == "" {
		t.Fatal("dev did not turn encryption on")
	}
	if code := first.api(t, http.MethodPost, "/v1/carts", cartJSON(sealed.cartID, sealed.phone), nil); code != http.StatusAccepted {
		t.Fatalf("POST /v1/carts: %d", code)
	}
	first.await(t, sealed.phone, isTemplate)
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}

	devKey, err := os.ReadFile(filepath.Join(dir, payloadKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	rotated := startTestStackWith(t, vars(map[string]string{
		"CARTBACK_PAYLOAD_KEYS":   strings.TrimSpace(string(devKey)) + ",k2:" + base64.StdEncoding.EncodeToString(payloadcrypt.NewKey()),
		"CARTBACK_PAYLOAD_KEY_ID": "k2",
	}), false)
	for _, sh := range []shopper{clear, sealed} {
		if err := rotated.sandbox.Reply(context.Background(), sh.waID, "1"); err != nil {
			t.Fatal(err)
		}
		if reminder := rotated.await(t, sh.waID, isFollowUp); !strings.Contains(reminder.Text, "Blue Trail Running Shoes") {
			t.Fatalf("%s: follow-up %q, want the reminder", sh.cartID, reminder.Text)
		}
		if got := rotated.outcome(t, sh.cartID); got != workflows.OutcomeReminderSent {
			t.Fatalf("%s: outcome %q", sh.cartID, got)
		}
	}

	for sh, want := range map[shopper][2]string{clear: {"", "k2"}, sealed: {firstID, "k2"}} {
		input, reply := storedKeyIDs(t, rotated, sh.phone)
		if input != want[0] || reply != want[1] {
			t.Errorf("%s: the input is sealed by %q and the reply by %q, want %q and %q (\"\": in clear)", sh.cartID, input, reply, want[0], want[1])
		}
	}
}

// storedKeyIDs reads, through the raw WorkflowService (as Temporal stores them), which key sealed
// the input of phone's flow and the reply signal it took: "" for a payload in clear.
func storedKeyIDs(t *testing.T, s *devStack, phone string) (input, reply string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := s.client.WorkflowService().GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
		Namespace: s.ns, Execution: &commonpb.WorkflowExecution{WorkflowId: workflows.WorkflowID(s.cfg.IDKey, phone)}})
	if err != nil {
		t.Fatal(err)
	}
	keyID := func(p *historypb.HistoryEvent, payloads []*commonpb.Payload) string {
		if len(payloads) == 0 {
			t.Fatalf("event %d (%v) has no payload", p.GetEventId(), p.GetEventType())
		}
		md := payloads[0].GetMetadata()
		if string(md[converter.MetadataEncoding]) != payloadcrypt.Encoding {
			return ""
		}
		return string(md[payloadcrypt.MetadataKeyID])
	}
	reply = "none"
	for _, ev := range resp.GetHistory().GetEvents() {
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			input = keyID(ev, ev.GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads())
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			if ev.GetWorkflowExecutionSignaledEventAttributes().GetSignalName() == workflows.ReplySignal {
				reply = keyID(ev, ev.GetWorkflowExecutionSignaledEventAttributes().GetInput().GetPayloads())
			}
		}
	}
	return input, reply
}
