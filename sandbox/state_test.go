package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/cartback/cartback/whatsapp"
	"github.com/cartback/cartback/workflows"
)

// withState keeps the sandbox's conversations in path, logging to log.
func withState(path string, log logrus.FieldLogger) func(*Options) {
	return func(o *Options) { o.StateFile, o.Logger = path, log }
}

// TestConversationsSurviveARestart: a second sandbox on the same state file shows the first one's
// conversations as they were, and the shopper can still tap the template the first one received.
func TestConversationsSurviveARestart(t *testing.T) {
	rcv := newReceiver(t)
	path := filepath.Join(t.TempDir(), "sandbox.json")
	log, hook := logtest.NewNullLogger()
	first, base := startWith(t, rcv, withState(path, log))
	c := client(t, first, base, token)
	tplID := sendTemplate(t, c, "Sheena")
	drainStatuses(t, rcv, 2)
	if err := first.Reply(context.Background(), shopper, "is it blue?"); err != nil {
		t.Fatal(err)
	}
	next(t, rcv.messages, "text")
	if _, err := c.SendTemplate(context.Background(), whatsapp.TemplateMessage{To: "+447700900123", Name: "spring_sale", Language: "en_GB", BodyParams: []string{"Jo"}}); err != nil {
		t.Fatal(err)
	}
	drainStatuses(t, rcv, 2)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	before, beforeView := first.Conversation(shopper), first.view()
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v, want it private to its owner", info, err)
	}

	second, base2 := startWith(t, rcv, withState(path, log))
	if got := second.Conversation(shopper); !reflect.DeepEqual(got, before) {
		t.Errorf("after the restart:\n%+v\nbefore:\n%+v", got, before)
	}
	if got := second.Phones(); fmt.Sprint(got) != "[+525512345678 +447700900123]" {
		t.Errorf("Phones() = %v: the page's order changed", got)
	}
	afterView := second.view()
	for i := range afterView.Conversations {
		if a, b := &afterView.Conversations[i], beforeView.Conversations[i]; a.Version <= b.Version {
			t.Errorf("conversation %d: version %d after the restart, %d before: an open page would not redraw", i, a.Version, b.Version)
		} else {
			a.Version = b.Version
		}
	}
	if !reflect.DeepEqual(afterView, beforeView) {
		t.Errorf("the page's view changed:\n%+v\n%+v", afterView, beforeView)
	}
	_, _, page := get(t, base2+"/sandbox")
	if !strings.Contains(page, "Hi Sheena, you left something in your cart.") || !strings.Contains(page, `data-message-id="`+tplID+`">1 - Still want it</button>`) {
		t.Errorf("the page after the restart:\n%s", page)
	}

	if err := second.Tap(context.Background(), shopper, tplID, workflows.NegativeButtonIndex); err != nil {
		t.Fatal(err)
	}
	m := next(t, rcv.messages, "tap after the restart")
	if m.event.Message.Payload != workflows.NegativePayload(cartID) || m.event.Message.ContextID != tplID ||
		!strings.Contains(string(m.raw), `"profile":{"name":"Sheena"}`) {
		t.Errorf("tap after the restart: %s", m.raw)
	}
	if len(hook.AllEntries()) != 0 {
		t.Errorf("logged %v", hook.AllEntries())
	}
}

// TestStateIsWrittenWhileRunning: the file follows the conversations without waiting for Close,
// so that a crash loses at most the last moment.
func TestStateIsWrittenWhileRunning(t *testing.T) {
	rcv := newReceiver(t)
	path := filepath.Join(t.TempDir(), "sandbox.json")
	sb, base := startWith(t, rcv, withState(path, logrus.New()))
	tplID := sendTemplate(t, client(t, sb, base, token), "Sheena")
	waitUntil(t, "the state file holds the delivered template", func() bool {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var f stateFile
		if err := json.Unmarshal(raw, &f); err != nil {
			t.Fatalf("a reader saw a partial file: %v", err)
		}
		return len(f.Conversations) == 1 && f.Conversations[0].Entries[0].MessageID == tplID && f.Conversations[0].Entries[0].Status == StatusDelivered
	})
	if tmps, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.tmp")); len(tmps) != 0 {
		t.Errorf("temporary files left: %v", tmps)
	}
}

// TestUnreadableStateFileIsSetAside: a file that is not the sandbox's state is moved aside, kept
// as it was, with a warning naming both paths; the sandbox starts empty and writes a new one.
func TestUnreadableStateFileIsSetAside(t *testing.T) {
	for name, content := range map[string]string{
		"truncated":       `{"version":1,"conversations":[{"wa_id":"525512345678","entries":[{"direction":"out"`,
		"another version": `{"version":2,"conversations":[]}`,
		"unknown field":   `{"version":1,"conversations":[],"chats":[]}`,
		"not a phone":     `{"version":1,"conversations":[{"wa_id":"+52 55","version":1,"entries":[]}]}`,
		"a bad message":   `{"version":1,"conversations":[{"wa_id":"525512345678","version":1,"entries":[{"direction":"sideways","message_id":"m","kind":"text"}]}]}`,
		"two JSONs":       `{"version":1,"conversations":[]} {}`,
	} {
		t.Run(name, func(t *testing.T) {
			rcv := newReceiver(t)
			path := filepath.Join(t.TempDir(), "sandbox.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			log, hook := logtest.NewNullLogger()
			sb, _ := startWith(t, rcv, withState(path, log))
			if len(sb.Phones()) != 0 {
				t.Errorf("conversations %v", sb.Phones())
			}
			aside, _ := filepath.Glob(path + ".unreadable-*")
			if len(aside) != 1 {
				t.Fatalf("set aside as %v", aside)
			}
			if kept, _ := os.ReadFile(aside[0]); string(kept) != content {
				t.Errorf("the file set aside holds %q", kept)
			}
			entries := hook.AllEntries()
			if len(entries) != 1 || entries[0].Level != logrus.WarnLevel || !strings.Contains(entries[0].Message, path) || !strings.Contains(entries[0].Message, aside[0]) {
				t.Errorf("logged %+v, want one warning naming both files", entries)
			}
			if raw, err := os.ReadFile(path); err != nil || !strings.HasPrefix(string(raw), `{"version":1,"conversations":[]}`) {
				t.Errorf("new state file: %q %v", raw, err)
			}
		})
	}
}

// TestStateFileThatCannotBeReadOrWrittenStopsTheStart: starting without the conversations would
// hide the flows that wait, so New says what is wrong instead.
func TestStateFileThatCannotBeReadOrWrittenStopsTheStart(t *testing.T) {
	dir := t.TempDir()
	for name, path := range map[string]string{
		"a directory":       dir,
		"no such directory": filepath.Join(dir, "missing", "sandbox.json"),
	} {
		_, err := New(Options{PhoneNumberID: phoneID, Token: token, AppSecret: appSecret, WebhookURL: "http://127.0.0.1:1/", StateFile: path})
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: New = %v, want an error naming %s", name, err, path)
		}
	}
}

// TestRestoredMessagesInFlight: a shopper's message whose post the sandbox stopped before our
// webhook answered says so after the restart, rather than "sending" forever; a temporary file
// left by a crash is removed.
func TestRestoredMessagesInFlight(t *testing.T) {
	rcv := newReceiver(t)
	path := filepath.Join(t.TempDir(), "sandbox.json")
	content := `{"version":1,"conversations":[{"wa_id":"525512345678","version":3,"entries":[` +
		`{"direction":"in","message_id":"wamid.1","at":"2025-06-08T21:00:02Z","kind":"text","text":"1"}]}]}`
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(filepath.Dir(path), ".sandbox.json.123456.tmp") // a crash before a rename
	if err := os.WriteFile(leftover, []byte(`{"version":1`), 0o600); err != nil {
		t.Fatal(err)
	}
	sb, _ := startWith(t, rcv, withState(path, logrus.New()))
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("the temporary file a crash left is still there: %v", err)
	}
	if conv := sb.Conversation(shopper); len(conv) != 1 || conv[0].Status != StatusFailed || conv[0].Error != restartError {
		t.Errorf("conversation %+v", conv)
	}
}

// TestStateIsBounded: a conversation keeps its latest maxEntries messages, and beyond
// maxConversations (or maxStateBytes) the least recently active conversation goes, never the one
// being added to; the size estimate stays an upper bound of the file.
func TestStateIsBounded(t *testing.T) {
	rcv := newReceiver(t)
	path := filepath.Join(t.TempDir(), "sandbox.json")
	log, hook := logtest.NewNullLogger()
	sb, _ := startWith(t, rcv, withState(path, log))
	entry := func(i int) Entry {
		return Entry{Direction: DirectionIn, MessageID: fmt.Sprintf("wamid.%d", i), At: fixedNow, Kind: KindText, Text: "hello \"\n\x01\u2028", Status: StatusAccepted}
	}
	sb.mu.Lock()
	for i := range maxEntries + 5 {
		sb.add("525512340000", entry(i))
	}
	for i := 1; i < maxConversations; i++ {
		sb.add(fmt.Sprint(525512340000+i), entry(i))
	}
	sb.add("525512340000", entry(-1)) // the first conversation is active again: the second is now the oldest
	sb.add("525599999999", entry(0))
	sb.mu.Unlock()

	if conv := sb.Conversation("525512340000"); len(conv) != maxEntries || conv[0].MessageID != "wamid.6" || conv[len(conv)-1].MessageID != "wamid.-1" {
		t.Errorf("first conversation: %d messages from %s", len(conv), conv[0].MessageID)
	}
	phones := sb.Phones()
	if len(phones) != maxConversations || phones[0] != "+525512340000" || phones[1] != "+525512340002" || phones[len(phones)-1] != "+525599999999" {
		t.Errorf("%d conversations: %v ... %v", len(phones), phones[:3], phones[len(phones)-1])
	}
	if e := hook.AllEntries(); len(e) != 1 || e[0].Level != logrus.InfoLevel {
		t.Errorf("logged %+v, want dropping conversations said once", e)
	}

	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sb.mu.Lock()
	size, sum := sb.size, 0
	for _, c := range sb.convs {
		sum += conversationOverhead
		for _, e := range c.entries {
			sum += entrySize(e)
		}
	}
	sb.mu.Unlock()
	if size != sum || len(raw) > size || size > maxStateBytes {
		t.Errorf("estimated %d (sum %d), file %d bytes, bound %d", size, sum, len(raw), maxStateBytes)
	}
}

// TestStateBytesAreBounded: a few conversations of long texts hit maxStateBytes before
// maxConversations.
func TestStateBytesAreBounded(t *testing.T) {
	rcv := newReceiver(t)
	log, _ := logtest.NewNullLogger()
	sb, _ := startWith(t, rcv, func(o *Options) { o.Logger = log })
	long := strings.Repeat("\x01", maxTextLen) // each escaped as \u0001: 6 bytes
	sb.mu.Lock()
	for i := range 200 {
		for j := range 10 {
			sb.add(fmt.Sprint(525512340000+i), Entry{Direction: DirectionIn, MessageID: fmt.Sprint(j), Kind: KindText, Text: long})
		}
	}
	size, n := sb.size, len(sb.order)
	f := sb.snapshot()
	sb.mu.Unlock()
	raw, _ := json.Marshal(f)
	if size > maxStateBytes || n >= 200 || n < 50 || len(raw) > size {
		t.Errorf("%d conversations, estimated %d bytes, encoded %d, bound %d", n, size, len(raw), maxStateBytes)
	}
}

func TestJSONLen(t *testing.T) {
	for _, s := range []string{"", "plain", `"quoted" \ back`, "tab\tnew\nline\r", "\x00\x1f", "<&>", "Olá 👍", "\u2028\u2029", "bad \xff utf8"} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if want := buf.Len() - 3; jsonLen(s) != want { // the quotes and the newline
			t.Errorf("jsonLen(%q) = %d, encoding/json writes %d", s, jsonLen(s), want)
		}
	}
}

// TestSaveFailureIsLoggedAndRetried: a write that fails (the data directory went away) is logged
// once, and the next change writes the file again.
func TestSaveFailureIsLoggedAndRetried(t *testing.T) {
	rcv := newReceiver(t)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sandbox.json")
	log, hook := logtest.NewNullLogger()
	sb, _ := startWith(t, rcv, withState(path, log))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := sb.Reply(context.Background(), shopper, "hello"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	waitUntil(t, "the failure is logged", func() bool { return len(hook.AllEntries()) > 0 })
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := sb.Reply(context.Background(), shopper, "again"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the file is written again", func() bool {
		raw, _ := os.ReadFile(path)
		return strings.Count(string(raw), `"kind":"text"`) == 4
	})
	entries := hook.AllEntries()
	if len(entries) != 2 || entries[0].Level != logrus.WarnLevel || !strings.Contains(entries[0].Message, path) || entries[1].Level != logrus.InfoLevel {
		for _, e := range entries {
			t.Logf("%s: %s", e.Level, e.Message)
		}
		t.Errorf("%d lines logged, want one warning and one recovery", len(entries))
	}
}
