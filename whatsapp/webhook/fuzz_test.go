package webhook

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse asserts that no body, however malformed, makes Parse or Events panic, and that every event is
// tagged consistently. The committed corpus in testdata/fuzz/FuzzParse runs in every `go test`; the JSON
// samples are added as seeds too so `go test -fuzz=FuzzParse` starts from real shapes.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.json")
	for _, path := range seeds {
		if b, err := os.ReadFile(path); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		// Signature checking sees the same hostile bytes first in production.
		_ = VerifySignature(body, string(body), "secret")

		p, err := Parse(body)
		if err != nil {
			if p != nil {
				t.Fatalf("Parse returned a payload and an error: %v", err)
			}
			return
		}
		for _, id := range []string{ourPhoneNumberID, "", "109999999999999"} {
			events, _ := p.Events(id)
			for _, e := range events {
				checkTagged(t, e)
			}
		}
	})
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
