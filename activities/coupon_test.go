package activities

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/cartback/cartback/coupon"
	"github.com/cartback/cartback/workflows"
)

func couponEnv(a *Activities) *testsuite.TestActivityEnvironment {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	return env
}

func issue(env *testsuite.TestActivityEnvironment, mode, cartID string) (string, error) {
	v, err := env.ExecuteActivity(workflows.IssueCouponActivity, workflows.CouponIssueRequest{CartID: cartID, Mode: mode, EventID: "run-1"})
	if err != nil {
		return "", err
	}
	var got workflows.CouponIssued
	err = v.Get(&got)
	return got.Code, err
}

// TestIssueCoupon: derived codes are the coupon package's, stable and distinct per cart; the
// storefront's code is taken; what cannot be had fails for good (no secret, no URL, a refusal)
// or for now (a storefront down), and the flow then sends the generic code.
func TestIssueCoupon(t *testing.T) {
	secret := []byte("activities coupon secret........")
	env := couponEnv(&Activities{CouponSecret: secret})
	a, err := issue(env, workflows.CouponDerived, "c_1")
	b, _ := issue(env, workflows.CouponDerived, "c_2")
	again, _ := issue(env, workflows.CouponDerived, "c_1")
	if err != nil || a != coupon.Derive(secret, "c_1") || a != again || a == b || !coupon.Check(secret, "c_1", a) {
		t.Fatalf("derived %q %q %q (%v)", a, b, again, err)
	}

	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"code": "WB-1"}`))
	}))
	defer srv.Close()
	env = couponEnv(&Activities{Coupons: &coupon.Fetcher{URL: srv.URL, Secret: secret}})
	if code, err := issue(env, workflows.CouponStorefront, "c_1"); err != nil || code != "WB-1" {
		t.Fatalf("storefront %q, %v", code, err)
	}
	for _, tc := range []struct {
		name      string
		env       *testsuite.TestActivityEnvironment
		mode      string
		status    int
		permanent bool
		says      string
	}{
		{"no secret", couponEnv(&Activities{}), workflows.CouponDerived, http.StatusOK, true, "CARTBACK_COUPON_SECRET"},
		{"no url", couponEnv(&Activities{}), workflows.CouponStorefront, http.StatusOK, true, "CARTBACK_COUPON_URL"},
		{"refused", env, workflows.CouponStorefront, http.StatusForbidden, true, "403"},
		{"down", env, workflows.CouponStorefront, http.StatusBadGateway, false, "502"},
		{"unknown mode", env, "lottery", http.StatusOK, true, "lottery"},
	} {
		status = tc.status
		_, err := issue(tc.env, tc.mode, "c_1")
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) || appErr.NonRetryable() != tc.permanent || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want permanent %v naming %s", tc.name, err, tc.permanent, tc.says)
		}
	}
}
