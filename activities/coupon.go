package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/cartback/cartback/coupon"
	"github.com/cartback/cartback/workflows"
)

// couponErrorType is the ApplicationError type of a code that cannot be had: the flow sends the
// generic code instead.
const couponErrorType = "CouponUnavailable"

// IssueCoupon makes or fetches a cart's own code, as the flow's coupon mode says. A worker
// without the mode's secret or URL, and a storefront's refusal, fail at once (the flow then
// sends the generic code); a storefront that does not answer is retried.
func (a *Activities) IssueCoupon(ctx context.Context, req workflows.CouponIssueRequest) (workflows.CouponIssued, error) {
	switch req.Mode {
	case workflows.CouponDerived:
		if len(a.CouponSecret) == 0 {
			return workflows.CouponIssued{}, unavailable("CARTBACK_COUPON_MODE is derived, but this worker has no CARTBACK_COUPON_SECRET", nil)
		}
		return workflows.CouponIssued{Code: coupon.Derive(a.CouponSecret, req.CartID)}, nil
	case workflows.CouponStorefront:
		if a.Coupons == nil {
			return workflows.CouponIssued{}, unavailable("CARTBACK_COUPON_MODE is storefront, but this worker has no CARTBACK_COUPON_URL", nil)
		}
		code, err := a.Coupons.Fetch(ctx, coupon.Request{CartID: req.CartID, EventID: req.EventID})
		if errors.Is(err, coupon.ErrRefused) {
			return workflows.CouponIssued{}, unavailable(err.Error(), err)
		}
		if err != nil {
			return workflows.CouponIssued{}, err
		}
		return workflows.CouponIssued{Code: code}, nil
	}
	return workflows.CouponIssued{}, unavailable("unknown coupon mode "+req.Mode, nil)
}

func unavailable(msg string, cause error) error {
	return temporal.NewNonRetryableApplicationError(msg, couponErrorType, cause)
}
