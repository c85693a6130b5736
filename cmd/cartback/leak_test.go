//go:build !nodev

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	commonpb "go.temporal.io/api/common/v1"
	querypb "go.temporal.io/api/query/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/cartback/cartback/config"
	"github.com/cartback/cartback/devserver"
	"github.com/cartback/cartback/internal/testtemporal"
	"github.com/cartback/cartback/workflows"
)

// testPayloadKeysFile holds the payload key of the tests (and of the encrypted history the replay
// test replays): a key for tests only, in the repository, never one of a deployment.
var testPayloadKeysFile = filepath.Join("..", "..", "workflows", "testdata", "encrypted", "test_payload_keys")

// recordEncrypted, set, makes TestNothingLeaks write its coupon flow's encrypted history to
// workflows/testdata/encrypted/, for the replay test.
const recordEncrypted = "CARTBACK_RECORD_ENCRYPTED"

func testPayloadKeys(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(testPayloadKeysFile)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(raw))
}

// leakShopper is a customer whose number and name must appear nowhere Temporal or the logs keep.
type leakShopper struct {
	cartID, phone, waID, first, last string
	answer                           func(t *testing.T, s *devStack, sh leakShopper)
}

func (sh leakShopper) needles() []string {
	digits := strings.TrimPrefix(sh.phone, "+")
	return []string{sh.phone, digits, sh.waID, digits[len(digits)-8:], sh.first, sh.last}
}

var leakShoppers = []leakShopper{
	{cartID: "c_leak_coupon", phone: "+525597314086", waID: "5215597314086", first: "Zuleika", last: "Brannigan",
		answer: func(t *testing.T, s *devStack, sh leakShopper) { // taps "2": the coupon
			tpl := s.await(t, sh.phone, isTemplate)
			if err := s.sandbox.Tap(context.Background(), sh.phone, tpl.MessageID, workflows.NegativeButtonIndex); err != nil {
				t.Fatal(err)
			}
		}},
	{cartID: "c_leak_reminder", phone: "+6281287650193", waID: "6281287650193", first: "Wiratmaja", last: "Sukarnoputri",
		answer: func(t *testing.T, s *devStack, sh leakShopper) { // writes "1": the reminder
			s.await(t, sh.phone, isTemplate)
			if err := s.sandbox.Reply(context.Background(), sh.waID, "1"); err != nil {
				t.Fatal(err)
			}
		}},
	{cartID: "c_leak_stop", phone: "+5511976420358", waID: "5511976420358", first: "Ottoline", last: "Vasconcelos",
		answer: func(t *testing.T, s *devStack, sh leakShopper) { // writes STOP: opted out
			s.await(t, sh.phone, isTemplate)
			if err := s.sandbox.Reply(context.Background(), sh.waID, "STOP"); err != nil {
				t.Fatal(err)
			}
		}},
}

// lockedBuffer collects every log line of the stack.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// exported is what an operator's export of the namespace shows, by where it was found: workflow
// IDs, every execution's description (search attributes, memo, summary and details), every
// history event, and each payload's data decoded (the bytes behind the base64, and the strings of
// its JSON).
type exported map[string][]string

func (x exported) add(where, text string) { x[where] = append(x[where], text) }

// find lists where needle occurs.
func (x exported) find(needle string) []string {
	var at []string
	for where, texts := range x {
		if slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(s, needle) }) {
			at = append(at, where)
		}
	}
	slices.Sort(at)
	return at
}

// TestNothingLeaks runs carts of known shoppers through the dev stack (their replies are signed
// webhooks from the sandbox), exports every flow and captures every log line, and searches them
// for the shoppers' numbers (E.164, its digits, the wa_id, the last 8 digits) and names. With the
// codec off it must find them in the payloads (the search works); with it on, nowhere.
func TestNothingLeaks(t *testing.T) {
	off := leakRun(t, "none", "")
	for _, sh := range leakShoppers {
		for _, needle := range sh.needles() {
			t.Logf("codec off: %q is in %v", needle, off.find(needle))
		}
		if at := off.find(sh.phone); !slices.ContainsFunc(at, isPayload) {
			t.Errorf("codec off: %s is in no payload (found in %v): the search cannot see a leak", sh.phone, at)
		}
		if at := off.find(sh.first); !slices.ContainsFunc(at, isPayload) {
			t.Errorf("codec off: %s is in no payload (found in %v): the search cannot see a leak", sh.first, at)
		}
	}

	// Queries' answers hold no number nor name; the cart's items show the search reads them.
	if at := off.find(leakItem); !slices.Contains(at, "payloads, JSON strings (query answers)") {
		t.Errorf("codec off: %q is in no query answer (found in %v): the search cannot see a leak there", leakItem, at)
	}

	on := leakRun(t, testPayloadKeys(t), "test-only-not-secret")
	for _, sh := range leakShoppers {
		for _, needle := range sh.needles() {
			if at := on.find(needle); len(at) > 0 {
				t.Errorf("codec on: %q is in %v", needle, at)
			}
		}
	}
	if at := on.find(leakItem); slices.ContainsFunc(at, isPayload) {
		t.Errorf("codec on: %q is in %v", leakItem, at)
	}
	lines := strings.Count(strings.Join(on["logs"], ""), "\n")
	failures := len(slices.DeleteFunc(slices.Clone(on["history events"]), func(ev string) bool { return !strings.Contains(ev, `"failure":`) }))
	t.Logf("codec on: searched %d events (%d with a failure), %d query answers, %d payloads, %d log lines", len(on["history events"]), failures,
		len(on["query answers"]), len(on["payloads (history events)"])+len(on["payloads (query answers)"]), lines)
	if len(on["payloads (history events)"]) == 0 || len(on["payloads (query answers)"]) == 0 || lines == 0 {
		t.Fatal("codec on: no payload, no query answer or no log line exported: the search saw nothing")
	}
}

func isPayload(where string) bool { return strings.HasPrefix(where, "payload") }

// leakItem is the item of every leak cart: customers' data too, though no personal data.
const leakItem = "Blue Trail Running Shoes"

// leakRun runs the shoppers' carts on a fresh dev stack with CARTBACK_PAYLOAD_KEYS=keys and
// returns the export and the logs.
func leakRun(t *testing.T, keys, keyID string) exported {
	t.Helper()
	vars := sendAtOnce(map[string]string{"CARTBACK_DATA_DIR": t.TempDir(), "CARTBACK_HTTP_ADDR": "127.0.0.1:0", "CARTBACK_PAYLOAD_KEYS": keys})
	if keyID != "" {
		vars["CARTBACK_PAYLOAD_KEY_ID"] = keyID
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Dev.TemporalPort, cfg.Dev.UIPort = 0, devserver.NoUI
	logs := &lockedBuffer{}
	log := logrus.New()
	log.SetOutput(logs)
	log.SetLevel(logrus.InfoLevel) // as `cartback dev` runs
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e, _ := testEnv(vars)
	s, err := startDev(ctx, e, log, cfg, devOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.stop() }()

	var wg sync.WaitGroup
	for _, sh := range leakShoppers {
		body := fmt.Sprintf(`{"cart_id": %q,
			"customer": {"phone": %q, "name": "%s %s", "opt_in": {"at": "2026-11-01T10:00:00Z", "source": "checkout"}},
			"items": [{"sku": "shoe-42", "name": %q, "quantity": 2, "unit_price": "64.99"}],
			"currency": "USD", "total": "129.98", "cart_url": "https://shop.example.com/cart/%s"}`, sh.cartID, sh.phone, sh.first, sh.last, leakItem, sh.cartID)
		if code := s.api(t, http.MethodPost, "/v1/carts", body, nil); code != http.StatusAccepted {
			t.Fatalf("POST /v1/carts %s: %d", sh.cartID, code)
		}
		wg.Add(1)
		go func() { defer wg.Done(); sh.answer(t, s, sh) }()
	}
	wg.Wait()
	for _, sh := range leakShoppers {
		var res workflows.Result
		if err := s.client.GetWorkflow(ctx, workflows.WorkflowID(s.cfg.IDKey, sh.phone), "").Get(ctx, &res); err != nil {
			t.Fatalf("%s: %v", sh.cartID, err)
		}
		t.Logf("%s: %s", sh.cartID, res.Outcome)
	}

	x := exportNamespace(t, ctx, s)
	x.add("logs", logs.String())
	if os.Getenv(recordEncrypted) != "" && keyID != "" {
		saveEncryptedHistory(t, ctx, s, leakShoppers[0])
	}
	return x
}

// exportNamespace reads every flow of the namespace through the raw WorkflowService, as an export
// or the UI without a codec would.
func exportNamespace(t *testing.T, ctx context.Context, s *devStack) exported {
	t.Helper()
	x := exported{}
	svc, ns := s.client.WorkflowService(), s.temporal.Namespace()
	list, err := svc.ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: ns, PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetExecutions()) < len(leakShoppers) {
		t.Fatalf("listed %d flows, want at least %d", len(list.GetExecutions()), len(leakShoppers))
	}
	for _, info := range list.GetExecutions() {
		x.add("workflow IDs", info.GetExecution().GetWorkflowId())
		x.addMessage("list (search attributes, memo)", info)
		desc, err := svc.DescribeWorkflowExecution(ctx, &workflowservice.DescribeWorkflowExecutionRequest{Namespace: ns, Execution: info.GetExecution()})
		if err != nil {
			t.Fatal(err)
		}
		x.addMessage("description (search attributes, memo, summary, details)", desc)
		var token []byte
		for {
			page, err := svc.GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
				Namespace: ns, Execution: info.GetExecution(), NextPageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range page.GetHistory().GetEvents() {
				x.addMessage("history events", ev)
			}
			if token = page.GetNextPageToken(); len(token) == 0 {
				break
			}
		}
		if info.GetType().GetName() != workflows.WorkflowName {
			continue
		}
		// Queries' answers are not stored, but the UI and the CLI read them as the worker wrote them.
		for _, q := range []string{workflows.StateQuery, workflows.CartQuery} {
			answer, err := svc.QueryWorkflow(ctx, &workflowservice.QueryWorkflowRequest{Namespace: ns, Execution: info.GetExecution(),
				Query: &querypb.WorkflowQuery{QueryType: q}})
			if err != nil {
				t.Fatalf("query %s: %v", q, err)
			}
			x.addMessage("query answers", answer)
		}
	}
	return x
}

// addMessage adds m as JSON, and each payload in it decoded.
func (x exported) addMessage(where string, m proto.Message) {
	raw, _ := protojson.Marshal(m)
	x.add(where, string(raw))
	eachPayload(m.ProtoReflect(), func(p *commonpb.Payload) {
		for k, v := range p.GetMetadata() {
			x.add("payload metadata ("+where+")", k+"="+string(v))
		}
		x.add("payloads ("+where+")", string(p.GetData()))
		var v any
		dec := json.NewDecoder(bytes.NewReader(p.GetData()))
		dec.UseNumber()
		if dec.Decode(&v) == nil {
			x.add("payloads, JSON strings ("+where+")", strings.Join(jsonStrings(v, nil), "\n"))
		}
	})
}

// eachPayload calls visit on every Payload in m, at any depth.
func eachPayload(m protoreflect.Message, visit func(*commonpb.Payload)) {
	if p, ok := m.Interface().(*commonpb.Payload); ok {
		visit(p)
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() != nil {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool { eachPayload(mv.Message(), visit); return true })
			}
		case fd.IsList():
			if fd.Message() != nil {
				for i := range v.List().Len() {
					eachPayload(v.List().Get(i).Message(), visit)
				}
			}
		case fd.Message() != nil:
			eachPayload(v.Message(), visit)
		}
		return true
	})
}

// jsonStrings lists the strings, numbers and keys of a decoded JSON value.
func jsonStrings(v any, out []string) []string {
	switch v := v.(type) {
	case string:
		out = append(out, v)
	case json.Number:
		out = append(out, v.String())
	case []any:
		for _, e := range v {
			out = jsonStrings(e, out)
		}
	case map[string]any:
		for k, e := range v {
			out = jsonStrings(e, append(out, k))
		}
	}
	return out
}

// saveEncryptedHistory writes the history of sh's flow to workflows/testdata/encrypted/.
func saveEncryptedHistory(t *testing.T, ctx context.Context, s *devStack, sh leakShopper) {
	t.Helper()
	data := testtemporal.HistoryJSON(t, ctx, s.client, workflows.WorkflowID(s.cfg.IDKey, sh.phone), "")
	file := filepath.Join(filepath.Dir(testPayloadKeysFile), "coupon.json")
	if _, err := os.Stat(file); err == nil {
		t.Fatalf("%s exists: delete it to record it again", file)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s", file)
}
