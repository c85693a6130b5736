package server

import (
	"io"
	"net/http"

	"github.com/cartback/cartback/coupon"
	"github.com/cartback/cartback/starter"
)

// couponCheck is the body of POST /v1/coupons/check.
type couponCheck struct {
	CartID string `json:"cart_id"`
	Code   string `json:"code"`
}

// couponChecked is its answer.
type couponChecked struct {
	CartID string `json:"cart_id"`
	Valid  bool   `json:"valid"`
}

// checkCoupon is POST /v1/coupons/check: 200 {valid} says whether code is cart_id's derived code
// (CARTBACK_COUPON_MODE=derived), as the shopper may type it; 404 when the server has no
// CARTBACK_COUPON_SECRET to check with.
func (s *Server) checkCoupon(w http.ResponseWriter, r *http.Request) {
	if len(s.opts.CouponSecret) == 0 {
		writeError(w, &apiError{status: http.StatusNotFound, Code: "coupon_check_off",
			Message: "derived coupon codes cannot be checked here: CARTBACK_COUPON_SECRET is not set"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCartBody))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req couponCheck
	if err := starter.DecodeBody(body, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	fields := map[string]string{}
	if req.CartID == "" {
		fields["cart_id"] = "is required"
	}
	if req.Code == "" {
		fields["code"] = "is required"
	}
	if len(fields) > 0 {
		writeError(w, &apiError{status: http.StatusUnprocessableEntity, Code: "invalid_coupon_check", Message: "cart_id and code are required", Fields: fields})
		return
	}
	writeJSON(w, http.StatusOK, couponChecked{CartID: req.CartID, Valid: coupon.Check(s.opts.CouponSecret, req.CartID, req.Code)})
}
