package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/cartback/cartback/coupon"
)

// TestCouponCheck: the storefront checks a derived code at checkout: the cart's own code is valid
// as typed, another cart's is not, and a server without the secret says it cannot check.
func TestCouponCheck(t *testing.T) {
	t.Parallel()
	s := unreachableServer(t)
	code := coupon.Derive(testCouponSecret, "c_8f3a")
	check := func(cartID, code string) (int, bool, string) {
		body, _ := json.Marshal(map[string]string{"cart_id": cartID, "code": code})
		a := api(t, s, http.MethodPost, "/v1/coupons/check", body)
		var v struct {
			Valid bool `json:"valid"`
		}
		_ = json.Unmarshal(a.body, &v)
		return a.status, v.Valid, string(a.body)
	}
	for _, tc := range []struct {
		cartID, code string
		valid        bool
	}{
		{"c_8f3a", code, true},
		{"c_8f3a", strings.ToLower(strings.ReplaceAll(code, "-", "")), true},
		{"c_8f3b", code, false},
		{"c_8f3a", coupon.Derive(testCouponSecret, "c_8f3b"), false},
		{"c_8f3a", "SAVE10", false},
	} {
		if status, valid, body := check(tc.cartID, tc.code); status != http.StatusOK || valid != tc.valid {
			t.Errorf("%s %s: %d %s, want 200 valid %v", tc.cartID, tc.code, status, body, tc.valid)
		}
	}
	if status, _, body := check("", code); status != http.StatusUnprocessableEntity || !strings.Contains(body, `"cart_id"`) {
		t.Errorf("no cart id: %d %s", status, body)
	}
	if a := api(t, s, http.MethodPost, "/v1/coupons/check", []byte(`{"cart_id": "c_8f3a", "coupon": "x"}`)); a.status != http.StatusBadRequest {
		t.Errorf("an unknown field: %d %s", a.status, a.body)
	}
	s.opts.CouponSecret = nil
	if status, _, body := check("c_8f3a", code); status != http.StatusNotFound || !strings.Contains(body, "coupon_check_off") {
		t.Errorf("without the secret: %d %s", status, body)
	}
}
