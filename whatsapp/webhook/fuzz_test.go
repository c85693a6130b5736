package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse asserts that no body, however malformed, makes Parse or Events panic, that every event is
// tagged consistently, that every skipped part says where it is, and that reading a payload twice gives
// the same answer. The committed corpus in testdata/fuzz/FuzzParse runs in every `go test`; the JSON
// samples are added as seeds too so `go test -fuzz=FuzzParse` starts from real shapes.
func FuzzParse(f *testing.F) {
	for _, b := range samples(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := Parse(body)
		if err != nil {
			if p != nil {
				t.Fatalf("Parse returned a payload and an error: %v", err)
			}
			if !errors.Is(err, ErrMalformedPayload) && !errors.Is(err, ErrUnexpectedObject) {
				t.Fatalf("Parse error %v is neither ErrMalformedPayload nor ErrUnexpectedObject", err)
			}
			return
		}
		for _, id := range []string{ourPhoneNumberID, "", "109999999999999"} {
			events, ignored := p.Events(id)
			for _, e := range events {
				checkTagged(t, e)
			}
			for _, ig := range ignored {
				if !strings.HasPrefix(ig.Path, "entry[") || ig.Reason == "" {
					t.Fatalf("ignored part without a path or a reason: %+v", ig)
				}
			}
			again, ignoredAgain := p.Events(id)
			if !reflect.DeepEqual(events, again) || !reflect.DeepEqual(ignored, ignoredAgain) {
				t.Fatal("Events gave two answers for one payload")
			}
		}
	})
}

// FuzzSignature asserts that VerifySignature never panics, accepts the header Meta would send for the
// body (whatever the body), and accepts nothing else: a passing header is the body's HMAC under one of
// the secrets, and an empty secret never passes.
func FuzzSignature(f *testing.F) {
	for _, b := range samples(f) {
		f.Add(b, metaSignature("app-secret", b), "app-secret", "")
		f.Add(b, metaSignature("old-secret", b), "app-secret", "old-secret")
		f.Add(b, metaSignature("app-secret", b)[:40], "app-secret", "")
	}
	f.Add([]byte{}, "sha256=", "", "")
	f.Add([]byte("x"), "SHA256="+strings.Repeat("0", 64), "k", "")
	f.Fuzz(func(t *testing.T, body []byte, header, secret, previous string) {
		err := VerifySignature(body, header, secret, previous)
		if err != nil {
			if !errors.Is(err, ErrMissingSignature) && !errors.Is(err, ErrMalformedSignature) && !errors.Is(err, ErrBadSignature) {
				t.Fatalf("unexpected error kind: %v", err)
			}
		} else {
			got := strings.ToLower(strings.TrimSpace(header))
			if (secret == "" || got != metaSignature(secret, body)) && (previous == "" || got != metaSignature(previous, body)) {
				t.Fatalf("accepted %q, which is no secret's signature of the body", header)
			}
		}
		for _, s := range []string{secret, previous} {
			if s == "" {
				continue
			}
			if err := VerifySignature(body, metaSignature(s, body), secret, previous); err != nil {
				t.Fatalf("Meta's own signature refused: %v", err)
			}
		}
	})
}

// metaSignature is X-Hub-Signature-256 as Meta computes it (lower-case hex).
func metaSignature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// samples are the JSON bodies of testdata, the fuzzers' seeds.
func samples(f *testing.F) [][]byte {
	paths, err := filepath.Glob("testdata/*.json")
	if err != nil || len(paths) == 0 {
		f.Fatalf("no samples in testdata: %v", err)
	}
	var out [][]byte
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// checkTagged fails unless exactly the pointer named by e.Kind is set.
func checkTagged(t *testing.T, e Event) {
	t.Helper()
	set := map[EventKind]bool{
		KindMessage:    e.Message != nil,
		KindStatus:     e.Status != nil,
		KindPreference: e.Preference != nil,
		KindError:      e.Error != nil,
	}
	n := 0
	for _, ok := range set {
		if ok {
			n++
		}
	}
	if n != 1 || !set[e.Kind] {
		t.Fatalf("event kind %q with pointers %v", e.Kind, set)
	}
}
