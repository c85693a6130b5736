package workflows

import (
	"errors"
	"testing"
	"time"
)

// TestACartsOwnCodeIsSentRecordedAndReported: under a per-cart mode, the code the activity makes
// is the one sent, kept in the state and in the outcome report.
func TestACartsOwnCodeIsSentRecordedAndReported(t *testing.T) {
	h := newHarness(t)
	h.rec.issue = func(req CouponIssueRequest) (CouponIssued, error) {
		return CouponIssued{Code: "SAVE-7KQ2-" + req.CartID[len(req.CartID)-4:]}, nil
	}
	in := testInput()
	in.Settings.CouponMode = CouponDerived
	h.reply(time.Hour, Reply{MessageID: "wamid.2", Kind: "text", Text: "2"})
	h.expect(h.run(in), OutcomeCouponSent, 0, 1)
	if len(h.rec.issued) != 1 || h.rec.issued[0].CartID != "c_8f3a" || h.rec.issued[0].Mode != CouponDerived || h.rec.issued[0].EventID == "" {
		t.Fatalf("issue requests %+v", h.rec.issued)
	}
	const want = "SAVE-7KQ2-8f3a"
	if got := h.rec.coupons[0].CouponCode; got != want {
		t.Errorf("coupon sent %q, want %q", got, want)
	}
	if s := h.state(); s.CouponCode != want {
		t.Errorf("state's code %q", s.CouponCode)
	}
	if r := h.rec.reports[0]; r.CouponCode != want || r.EventID != h.rec.issued[0].EventID {
		t.Errorf("report %+v, want the code and the run id of the issue request", r)
	}
}

// TestACodeThatCannotBeHadIsTheGenericOne: the storefront failing for good (or a worker without
// the secret) sends the generic code, recorded as such.
func TestACodeThatCannotBeHadIsTheGenericOne(t *testing.T) {
	for name, issue := range map[string]func(CouponIssueRequest) (CouponIssued, error){
		"refused": nil,
		"keeps failing": func(CouponIssueRequest) (CouponIssued, error) {
			return CouponIssued{}, errors.New("503 from the storefront")
		},
		"empty code": func(CouponIssueRequest) (CouponIssued, error) { return CouponIssued{}, nil },
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			h.rec.issue = issue
			in := testInput()
			in.Settings.CouponMode = CouponStorefront
			h.reply(time.Hour, Reply{MessageID: "wamid.2", Kind: "text", Text: "no"})
			h.expect(h.run(in), OutcomeCouponSent, 0, 1)
			if len(h.rec.issued) == 0 {
				t.Fatal("the code was never asked for")
			}
			if got := h.rec.coupons[0].CouponCode; got != "SAVE10" || h.state().CouponCode != "SAVE10" || h.rec.reports[0].CouponCode != "SAVE10" {
				t.Errorf("coupon %q, state %q, report %q: want the generic SAVE10", got, h.state().CouponCode, h.rec.reports[0].CouponCode)
			}
		})
	}
}

// TestTheGenericModeAsksForNoCode: generic (or no mode, from older settings) sends
// CARTBACK_COUPON_CODE without asking anything, and still reports it.
func TestTheGenericModeAsksForNoCode(t *testing.T) {
	for _, mode := range []string{"", CouponGeneric} {
		h := newHarness(t)
		in := testInput()
		in.Settings.CouponMode = mode
		h.reply(time.Hour, Reply{MessageID: "wamid.2", Kind: "text", Text: "2"})
		h.expect(h.run(in), OutcomeCouponSent, 0, 1)
		if len(h.rec.issued) != 0 || h.rec.reports[0].CouponCode != "SAVE10" {
			t.Errorf("mode %q: asked %+v, reported %+v", mode, h.rec.issued, h.rec.reports[0])
		}
	}
}
