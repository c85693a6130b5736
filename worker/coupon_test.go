package worker_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cartback/cartback/coupon"
	"github.com/cartback/cartback/events"
	"github.com/cartback/cartback/worker"
	"github.com/cartback/cartback/workflows"
)

// TestCouponsPerCartOnARealServer: a derived code reaches the shopper, the state and the signed
// outcome event, and the storefront checks it; a coupon endpoint that refuses (after it was
// asked, signed) gives the generic code, reported as such.
func TestCouponsPerCartOnARealServer(t *testing.T) {
	s := newStackWithoutWorker(t, stackOptions{})
	secret := []byte("worker test coupon secret.......")
	var asked atomic.Int32
	storefront := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if events.Verify([]byte(eventsSecret), r.Header.Get(events.SignatureHeader), body, time.Now(), time.Minute) == nil {
			asked.Add(1)
		}
		http.Error(w, "no coupons left", http.StatusGone)
	}))
	t.Cleanup(storefront.Close)
	s.acts.CouponSecret = secret
	s.acts.Coupons = &coupon.Fetcher{URL: storefront.URL, Secret: []byte(eventsSecret)}
	w := worker.New(s.client, s.acts, 60)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	for i, tc := range []struct {
		mode, want string
	}{
		{workflows.CouponDerived, coupon.Derive(secret, "cart-derived")},
		{workflows.CouponStorefront, "SAVE10"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			phone := "+52553301000" + string(rune('0'+i))
			cartID := "cart-" + tc.mode
			in := workflows.Input{
				Cart: workflows.Cart{ID: cartID, Currency: "MXN", TotalMinor: 4990, URL: "https://shop.example.com/c/" + cartID,
					Items: []workflows.Item{{Name: "Chamarra", Quantity: 1, UnitPriceMinor: 4990}}},
				Customer: workflows.Customer{Phone: phone, Name: "Ana Lima", OptIn: workflows.OptIn{At: time.Now().Add(-time.Hour), Source: "checkout"}},
				Settings: workflows.Settings{ReplyWindow: time.Hour, CouponCode: "SAVE10", CouponMode: tc.mode},
			}
			run := s.startInput(t, in)
			s.sends(t, phone, 1)
			s.awaitTemplateRecorded(t, run)
			s.signal(t, run, workflows.ReplySignal, workflows.Reply{MessageID: "wamid.no-" + tc.mode, Kind: "text", Text: "no"})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var res workflows.Result
			if err := run.Get(ctx, &res); err != nil || res.Outcome != workflows.OutcomeCouponSent {
				t.Fatalf("result %+v (%v)", res, err)
			}
			msgs := s.sends(t, phone, 2)
			if msgs[1].Text == nil || !strings.Contains(msgs[1].Text.Body, "code: "+tc.want+".") {
				t.Fatalf("coupon %+v, want %s", msgs[1].Text, tc.want)
			}
			if st := s.state(t, run); st.CouponCode != tc.want {
				t.Errorf("state's code %q, want %s", st.CouponCode, tc.want)
			}
			if rep, ok := s.report(cartID); !ok || rep.CouponCode != tc.want {
				t.Errorf("outcome event %+v (%v), want coupon_code %s", rep, ok, tc.want)
			}
		})
	}
	if !coupon.Check(secret, "cart-derived", strings.ToLower(coupon.Derive(secret, "cart-derived"))) {
		t.Error("the derived code does not check")
	}
	if asked.Load() != 1 {
		t.Errorf("the coupon endpoint was asked %d times with a good signature, want once (a 410 is not retried)", asked.Load())
	}
}
