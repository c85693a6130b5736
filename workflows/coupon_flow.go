package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// couponChange gives a cart a code of its own when Settings.CouponMode asks for one (derived
// from the cart id, or asked of the storefront), and records the code sent in the state and in
// the outcome report; a code that cannot be had in time is the generic one.
const couponChange = "coupon-per-cart"

// IssueCouponActivity makes or fetches a cart's own code. The secret and the storefront's URL
// are the worker's (CARTBACK_COUPON_SECRET, CARTBACK_COUPON_URL): never in a flow's input.
const IssueCouponActivity = "IssueCoupon"

// Coupon modes (Settings.CouponMode): CARTBACK_COUPON_MODE.
const (
	CouponGeneric    = "generic"
	CouponDerived    = "derived"
	CouponStorefront = "storefront"
)

// CouponIssueRequest asks for a cart's code.
type CouponIssueRequest struct {
	CartID string `json:"cart_id"`
	Mode   string `json:"mode"`
	// EventID is the run's id: the storefront's idempotency key, the same on every retry.
	EventID string `json:"event_id"`
}

// CouponIssued is a cart's code.
type CouponIssued struct {
	Code string `json:"code"`
}

// couponOptions bound the wait for a cart's code: the shopper waits for the coupon meanwhile,
// and the generic code is better than a late one.
var couponOptions = workflow.ActivityOptions{
	TaskQueue:              TaskQueue,
	StartToCloseTimeout:    15 * time.Second,
	ScheduleToCloseTimeout: 2 * time.Minute,
	RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 20 * time.Second},
}

// couponCode is the code the coupon sends: under couponChange the cart's own where the mode asks
// for one and it can be had, else the generic code; recorded in the state for the report.
func (f *flow) couponCode(ctx workflow.Context) string {
	code := f.in.Settings.CouponCode
	if !f.coupons {
		return code
	}
	if mode := f.in.Settings.CouponMode; mode != "" && mode != CouponGeneric {
		req := CouponIssueRequest{CartID: f.in.Cart.ID, Mode: mode, EventID: workflow.GetInfo(ctx).WorkflowExecution.RunID}
		var issued CouponIssued
		err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, couponOptions), IssueCouponActivity, req).Get(ctx, &issued)
		if err == nil && issued.Code != "" {
			code = issued.Code
		} else {
			workflow.GetLogger(ctx).Warn("the cart's own coupon code could not be had: sending the generic code", "mode", mode, "error", err)
		}
	}
	f.state.CouponCode = code
	return code
}
