package store_test

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cartback/cartback/phone"
	"github.com/cartback/cartback/store"
)

// queryCases are every query's behaviours, each run on a fresh database of each kind.
var queryCases = []struct {
	name string
	run  func(t *testing.T, s *store.Store)
}{
	{"suppress and read back", testSuppress},
	{"suppress is idempotent and keeps the first", testSuppressIdempotent},
	{"suppress without a time takes now", testSuppressNow},
	{"each way of lifting lifts its reasons", testLiftRules},
	{"refused values write nothing", testRefusedValues},
	{"pages of the export, with ties", testListPages},
	{"a page is bounded", testListBounded},
	{"a bad cursor", testBadCursor},
	{"frequency cap keeps the latest", testFrequency},
	{"user ids: link and look up", testLinkUserID},
	{"user ids: replace", testReplaceUserID},
}

func TestQueries(t *testing.T) {
	for _, c := range queryCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			onEachDatabase(t, func(t *testing.T, url string) { c.run(t, open(t, url)) })
		})
	}
}

// at is a time with a sub-microsecond part and not in UTC: the store keeps microseconds, in UTC.
var at = time.Date(2026, 11, 1, 10, 0, 0, 123456789, time.FixedZone("UTC-3", -3*3600))

func testSuppress(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	k := key("+16505551234")
	if _, ok, err := s.Suppressed(ctx, k); err != nil || ok {
		t.Fatalf("a new customer is suppressed: %v %v", ok, err)
	}
	in := store.Suppression{CustomerKey: k, MaskedPhone: phone.Mask("+16505551234"), Reason: store.ReasonKeyword, Source: "webhook", At: at}
	stored, created, err := s.Suppress(ctx, in)
	if err != nil || !created {
		t.Fatalf("Suppress: created %v, %v", created, err)
	}
	want := in
	want.At = at.Truncate(time.Microsecond).UTC()
	if stored != want {
		t.Fatalf("Suppress stored %+v, want %+v", stored, want)
	}
	got, ok, err := s.Suppressed(ctx, k)
	if err != nil || !ok || got != want {
		t.Fatalf("Suppressed = %+v %v %v, want %+v", got, ok, err, want)
	}
	if got.At.Location() != time.UTC {
		t.Fatalf("the time comes back in %v, want UTC", got.At.Location())
	}
	if _, ok, _ := s.Suppressed(ctx, key("+16505550000")); ok {
		t.Fatal("another customer is suppressed too")
	}
}

func testSuppressIdempotent(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	k := key("+525512345678")
	first := store.Suppression{CustomerKey: k, Reason: store.ReasonMeta131050, Source: "template status", At: at}
	if _, created, err := s.Suppress(ctx, first); err != nil || !created {
		t.Fatalf("first Suppress: created %v, %v", created, err)
	}
	// Again later, from elsewhere, now with the masked number: the first time and source stay,
	// the number is filled in.
	again := store.Suppression{CustomerKey: k, Reason: store.ReasonMeta131050, Source: "retry", At: at.Add(time.Hour),
		MaskedPhone: phone.Mask("+525512345678")}
	stored, created, err := s.Suppress(ctx, again)
	want := first
	want.At, want.MaskedPhone = at.Truncate(time.Microsecond).UTC(), again.MaskedPhone
	if err != nil || created || stored != want {
		t.Fatalf("second Suppress = %+v, created %v, %v; want %+v, not created", stored, created, err, want)
	}
	// A third without a number does not erase it.
	stored, created, err = s.Suppress(ctx, first)
	if err != nil || created || stored != want {
		t.Fatalf("third Suppress = %+v, created %v, %v; want %+v", stored, created, err, want)
	}
	page, _, err := s.ListSuppressions(ctx, "", 10)
	if err != nil || len(page) != 1 || page[0] != want {
		t.Fatalf("after three Suppress of one reason the store holds %+v (%v), want one row %+v", page, err, want)
	}
}

func testSuppressNow(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	now := time.Date(2026, 12, 24, 18, 30, 0, 0, time.UTC)
	store.SetClock(s, func() time.Time { return now })
	stored, _, err := s.Suppress(ctx, store.Suppression{CustomerKey: key("+16505551234"), Reason: store.ReasonStorefront})
	if err != nil || !stored.At.Equal(now) {
		t.Fatalf("Suppress without At stored %v (%v), want now, %v", stored.At, err, now)
	}
}

func testLiftRules(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	k, other := key("+16505551234"), key("+16505559999")
	suppressAll := func(k string) {
		t.Helper()
		for i, r := range []store.Reason{store.ReasonStorefront, store.ReasonMeta131050, store.ReasonUserPreferences, store.ReasonButton, store.ReasonKeyword} {
			if _, _, err := s.Suppress(ctx, store.Suppression{CustomerKey: k, Reason: r, At: at.Add(time.Duration(i) * time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	suppressAll(k)
	suppressAll(other)
	// The earliest held is the one Suppressed reports.
	expect := func(lifted, wantLifted int, err error, earliest store.Reason) {
		t.Helper()
		got, ok, serr := s.Suppressed(ctx, k)
		switch {
		case err != nil || serr != nil:
			t.Fatal(err, serr)
		case lifted != wantLifted:
			t.Fatalf("lifted %d, want %d", lifted, wantLifted)
		case earliest == "" && ok:
			t.Fatalf("still suppressed: %+v", got)
		case earliest != "" && (!ok || got.Reason != earliest):
			t.Fatalf("Suppressed = %+v %v, want the earliest held, %s", got, ok, earliest)
		}
	}
	expect(0, 0, nil, store.ReasonStorefront)
	n, err := s.Lift(ctx, k, store.LiftOnStart...) // keyword, button
	expect(n, 2, err, store.ReasonStorefront)
	n, err = s.Lift(ctx, k, store.LiftOnStart...) // again: nothing left to lift
	expect(n, 0, err, store.ReasonStorefront)
	n, err = s.Lift(ctx, k, store.LiftOnStorefrontDelete...) // the storefront's own; Meta's stay
	expect(n, 1, err, store.ReasonMeta131050)
	n, err = s.Lift(ctx, k, store.LiftOnResume...) // what Meta reported
	expect(n, 2, err, "")

	// The other customer kept all five; LiftAll lifts them.
	page, _, err := s.ListSuppressions(ctx, "", 10)
	if err != nil || len(page) != 5 || slices.ContainsFunc(page, func(p store.Suppression) bool { return p.CustomerKey != other }) {
		t.Fatalf("after lifting one customer's, the store holds %+v (%v), want the other's five", page, err)
	}
	if n, err := s.LiftAll(ctx, other); err != nil || n != 5 {
		t.Fatalf("LiftAll lifted %d (%v), want 5", n, err)
	}
	if _, ok, _ := s.Suppressed(ctx, other); ok {
		t.Fatal("still suppressed after LiftAll")
	}

	// The rules, as the issue states them.
	for list, want := range map[*[]store.Reason][]store.Reason{
		&store.LiftOnResume:           {store.ReasonUserPreferences, store.ReasonMeta131050},
		&store.LiftOnStart:            {store.ReasonKeyword, store.ReasonButton},
		&store.LiftOnStorefrontDelete: {store.ReasonKeyword, store.ReasonButton, store.ReasonStorefront},
	} {
		if !slices.Equal(*list, want) {
			t.Errorf("lift list %v, want %v", *list, want)
		}
	}
}

func testRefusedValues(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	const number = "+16505551234"
	k := key(number)
	for name, sup := range map[string]store.Suppression{
		"a phone number as the key": {CustomerKey: number, Reason: store.ReasonKeyword},
		"digits as the key":         {CustomerKey: "16505551234", Reason: store.ReasonKeyword},
		"an upper-case key":         {CustomerKey: strings.ToUpper(k), Reason: store.ReasonKeyword},
		"a longer key":              {CustomerKey: k + "00", Reason: store.ReasonKeyword},
		"the number in clear":       {CustomerKey: k, Reason: store.ReasonKeyword, MaskedPhone: number},
		"the number as wa_id":       {CustomerKey: k, Reason: store.ReasonKeyword, MaskedPhone: "16505551234"},
		"too much shown":            {CustomerKey: k, Reason: store.ReasonKeyword, MaskedPhone: "+1650*551234"},
		"the number in the source":  {CustomerKey: k, Reason: store.ReasonKeyword, Source: "reply from " + number},
		"a formatted number":        {CustomerKey: k, Reason: store.ReasonKeyword, Source: "from +1 (650) 555-1234"},
		"a long source":             {CustomerKey: k, Reason: store.ReasonKeyword, Source: strings.Repeat("x", 65)},
		"a control character":       {CustomerKey: k, Reason: store.ReasonKeyword, Source: "a\nb"},
		"an unknown reason":         {CustomerKey: k, Reason: "because"},
		"no reason":                 {CustomerKey: k},
	} {
		_, _, err := s.Suppress(ctx, sup)
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Suppress with %s: %v, want ErrInvalid", name, err)
		} else if strings.Contains(err.Error(), "5551234") {
			t.Errorf("Suppress with %s: the error shows the number: %v", name, err)
		}
	}
	// What a masked number and a source may be.
	for _, masked := range []string{phone.Mask(number), phone.Mask("+525512345678"), phone.Mask("+12345"), ""} {
		if _, _, err := s.Suppress(ctx, store.Suppression{CustomerKey: k, Reason: store.ReasonButton, MaskedPhone: masked, Source: "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTg"}); err != nil {
			t.Errorf("Suppress with masked phone %q: %v", masked, err)
		}
	}
	if _, err := s.LiftAll(ctx, k); err != nil {
		t.Fatal(err)
	}

	if _, err := s.Lift(ctx, k); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Lift with no reasons: %v, want ErrInvalid (LiftAll lifts all)", err)
	}
	if _, err := s.Lift(ctx, k, store.ReasonKeyword, "everything"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Lift of an unknown reason: %v, want ErrInvalid", err)
	}
	for name, err := range map[string]error{
		"Lift":                   func() error { _, err := s.Lift(ctx, number, store.ReasonKeyword); return err }(),
		"LiftAll":                func() error { _, err := s.LiftAll(ctx, number); return err }(),
		"Suppressed":             func() error { _, _, err := s.Suppressed(ctx, number); return err }(),
		"RecordTemplateAccepted": s.RecordTemplateAccepted(ctx, number, at),
		"LastTemplateAccepted":   func() error { _, _, err := s.LastTemplateAccepted(ctx, number); return err }(),
		"LinkUserID key":         s.LinkUserID(ctx, number, userIDHash("US.1")),
		"LinkUserID user id":     s.LinkUserID(ctx, k, "US.13491208655302741918"),
		"CustomerByUserID":       func() error { _, _, err := s.CustomerByUserID(ctx, "US.13491208655302741918"); return err }(),
		"ReplaceUserID":          func() error { _, err := s.ReplaceUserID(ctx, userIDHash("US.1"), "US.2"); return err }(),
	} {
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s with a phone number or a user id in clear: %v, want ErrInvalid", name, err)
		} else if strings.Contains(err.Error(), "5551234") || strings.Contains(err.Error(), "US.") {
			t.Errorf("%s: the error shows the value: %v", name, err)
		}
	}
	if page, _, err := s.ListSuppressions(ctx, "", 10); err != nil || len(page) != 0 {
		t.Fatalf("refused calls wrote %+v (%v)", page, err)
	}
}

// suppressMany writes n suppressions, several sharing each time and customer, and returns them
// in the export's order.
func suppressMany(t *testing.T, s *store.Store, n int) []store.Suppression {
	t.Helper()
	reasons := []store.Reason{store.ReasonKeyword, store.ReasonButton, store.ReasonMeta131050}
	var all []store.Suppression
	for i := range n {
		all = append(all, store.Suppression{
			CustomerKey: key(fmt.Sprintf("+1650555%04d", i/len(reasons))),
			Reason:      reasons[i%len(reasons)],
			At:          at.Add(time.Duration(i%4) * time.Second).Truncate(time.Microsecond).UTC(), // four times: many ties
		})
	}
	if err := store.InsertSuppressions(testContext(t), s, all); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(all, func(a, b store.Suppression) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.CustomerKey, b.CustomerKey), cmp.Compare(a.Reason, b.Reason))
	})
	return all
}

func testListPages(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	if page, next, err := s.ListSuppressions(ctx, "", 5); err != nil || len(page) != 0 || next != "" {
		t.Fatalf("an empty store lists %+v, next %q (%v)", page, next, err)
	}
	want := suppressMany(t, s, 23)
	for _, size := range []int{1, 4, 5, 23, 50} {
		var got []store.Suppression
		cursor, pages := "", 0
		for {
			page, next, err := s.ListSuppressions(ctx, cursor, size)
			if err != nil {
				t.Fatalf("page %d of size %d: %v", pages+1, size, err)
			}
			pages++
			if len(page) > size || (next != "" && len(page) != size) {
				t.Fatalf("page %d of size %d holds %d, next %q", pages, size, len(page), next)
			}
			got = append(got, page...)
			if next == "" {
				break
			}
			cursor = next
		}
		if !slices.Equal(got, want) {
			t.Fatalf("pages of %d listed\n%+v\nwant, in order of time, key, reason,\n%+v", size, got, want)
		}
		if wantPages := max(1, (len(want)+size-1)/size); pages != wantPages {
			t.Errorf("pages of %d: %d pages for %d rows, want %d", size, pages, len(want), wantPages)
		}
	}
	// A cursor stays valid when its row is lifted: paging goes on after it.
	first, next, err := s.ListSuppressions(ctx, "", 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.LiftAll(ctx, first[2].CustomerKey); err != nil {
		t.Fatal(err)
	}
	rest, _, err := s.ListSuppressions(ctx, next, 100)
	if err != nil || len(rest) == 0 || slices.ContainsFunc(rest, func(p store.Suppression) bool { return p.CustomerKey == first[2].CustomerKey }) {
		t.Fatalf("after lifting the cursor's customer, the next page is %+v (%v)", rest, err)
	}
	// 0 or less is the default size.
	if page, _, err := s.ListSuppressions(ctx, "", 0); err != nil || len(page) != min(store.DefaultPageSize, len(want)-3) {
		t.Fatalf("limit 0 listed %d (%v)", len(page), err)
	}
}

func testListBounded(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	suppressMany(t, s, store.MaxPageSize+1)
	page, next, err := s.ListSuppressions(ctx, "", store.MaxPageSize*10)
	if err != nil || len(page) != store.MaxPageSize || next == "" {
		t.Fatalf("a limit of %d listed %d, next %q (%v); want at most %d and a next page", store.MaxPageSize*10, len(page), next, err, store.MaxPageSize)
	}
	last, next, err := s.ListSuppressions(ctx, next, store.MaxPageSize)
	if err != nil || len(last) != 1 || next != "" {
		t.Fatalf("the last page: %d rows, next %q (%v)", len(last), next, err)
	}
	page, _, err = s.ListSuppressions(ctx, "", -1)
	if err != nil || len(page) != store.DefaultPageSize {
		t.Fatalf("limit -1 listed %d (%v), want the default %d", len(page), err, store.DefaultPageSize)
	}
}

func testBadCursor(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	raw := func(text string) string { return base64.RawURLEncoding.EncodeToString([]byte(text)) }
	suppressMany(t, s, 4)
	_, good, err := s.ListSuppressions(ctx, "", 2)
	if err != nil || good == "" {
		t.Fatal(err)
	}
	for _, cursor := range []string{
		"not a cursor!",
		"eyJ9",      // base64 of "{}"
		good + "AA", // tampered
		good[:len(good)-3],
		raw("s1.123.abc.keyword"), // a malformed key
		raw("s2.123." + key("+16505551234") + ".keyword"),  // another version
		raw("s1.xyz." + key("+16505551234") + ".keyword"),  // a time that is not a number
		raw("s1.123." + key("+16505551234") + ".because"),  // an unknown reason
		raw("s1.123." + key("+16505551234") + ".keyword."), // one part too many
	} {
		page, next, err := s.ListSuppressions(ctx, cursor, 2)
		if !errors.Is(err, store.ErrBadCursor) || page != nil || next != "" {
			t.Errorf("cursor %q: %d rows, next %q, %v; want ErrBadCursor", cursor, len(page), next, err)
		}
	}
}

func testFrequency(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	k, other := key("+16505551234"), key("+16505559999")
	if _, ok, err := s.LastTemplateAccepted(ctx, k); err != nil || ok {
		t.Fatalf("a new customer has a last template: %v %v", ok, err)
	}
	expect := func(want time.Time) {
		t.Helper()
		got, ok, err := s.LastTemplateAccepted(ctx, k)
		if err != nil || !ok || !got.Equal(want) || got.Location() != time.UTC {
			t.Fatalf("LastTemplateAccepted = %v %v %v, want %v in UTC", got, ok, err, want)
		}
	}
	for _, step := range []struct {
		record, want time.Time
	}{
		{at, at},                 // the first
		{at.Add(-time.Hour), at}, // an earlier one, late: ignored
		{at, at},                 // the same again
		{at.Add(72 * time.Hour), at.Add(72 * time.Hour)}, // a later one
	} {
		if err := s.RecordTemplateAccepted(ctx, k, step.record); err != nil {
			t.Fatal(err)
		}
		expect(step.want.Truncate(time.Microsecond))
	}
	if _, ok, _ := s.LastTemplateAccepted(ctx, other); ok {
		t.Fatal("another customer has the template too")
	}
	if err := s.RecordTemplateAccepted(ctx, k, time.Time{}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("recording a zero time: %v, want ErrInvalid", err)
	}
	expect(at.Add(72 * time.Hour).Truncate(time.Microsecond))
}

func testLinkUserID(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	a, b := key("+16505551234"), key("+16505559999")
	u1, u2 := userIDHash("US.1"), userIDHash("US.2")
	expect := func(hash, want string) {
		t.Helper()
		got, ok, err := s.CustomerByUserID(ctx, hash)
		if err != nil || ok != (want != "") || got != want {
			t.Fatalf("CustomerByUserID = %q %v %v, want %q", got, ok, err, want)
		}
	}
	expect(u1, "")
	for range 2 { // the same pair twice: no change
		if err := s.LinkUserID(ctx, a, u1); err != nil {
			t.Fatal(err)
		}
		expect(u1, a)
	}
	// A new user id for a: the old one names nobody now.
	if err := s.LinkUserID(ctx, a, u2); err != nil {
		t.Fatal(err)
	}
	expect(u2, a)
	expect(u1, "")
	// The user id moves to b (a number changed under the same account): a has none.
	if err := s.LinkUserID(ctx, b, u2); err != nil {
		t.Fatal(err)
	}
	expect(u2, b)
	if err := s.LinkUserID(ctx, a, u1); err != nil { // a can link again
		t.Fatal(err)
	}
	expect(u1, a)
	expect(u2, b)
}

func testReplaceUserID(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	a, b := key("+16505551234"), key("+16505559999")
	u1, u2, u3 := userIDHash("US.1"), userIDHash("US.2"), userIDHash("US.3")
	if ok, err := s.ReplaceUserID(ctx, u1, u2); err != nil || ok {
		t.Fatalf("replacing a user id nobody has: %v %v, want false", ok, err)
	}
	if _, ok, _ := s.CustomerByUserID(ctx, u2); ok {
		t.Fatal("replacing an unknown user id linked the new one")
	}
	if err := errors.Join(s.LinkUserID(ctx, a, u1), s.LinkUserID(ctx, b, u3)); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ReplaceUserID(ctx, u1, u2); err != nil || !ok {
		t.Fatalf("ReplaceUserID: %v %v", ok, err)
	}
	if got, ok, _ := s.CustomerByUserID(ctx, u2); !ok || got != a {
		t.Fatalf("the new user id names %q %v, want a", got, ok)
	}
	if _, ok, _ := s.CustomerByUserID(ctx, u1); ok {
		t.Fatal("the old user id still names a customer")
	}
	if ok, err := s.ReplaceUserID(ctx, u2, u2); err != nil || !ok {
		t.Fatalf("replacing a user id with itself: %v %v, want done", ok, err)
	}
	// u3 is b's: a's user id cannot become it, and nothing changes.
	if ok, err := s.ReplaceUserID(ctx, u2, u3); !errors.Is(err, store.ErrUserIDConflict) || ok {
		t.Fatalf("replacing with another customer's user id: %v %v, want ErrUserIDConflict", ok, err)
	}
	for hash, want := range map[string]string{u2: a, u3: b} {
		if got, ok, _ := s.CustomerByUserID(ctx, hash); !ok || got != want {
			t.Fatalf("after a refused replace, %s names %q, want %q", hash, got, want)
		}
	}
}
