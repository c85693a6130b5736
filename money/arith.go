package money

import "math"

// Times returns minor × n, and false when the product does not fit in int64 (or either is
// negative): a line's amount, unit price times quantity, must be checked before it is shown.
func Times(minor int64, n int) (int64, bool) {
	if minor < 0 || n < 0 {
		return 0, false
	}
	if n != 0 && minor > math.MaxInt64/int64(n) {
		return 0, false
	}
	return minor * int64(n), true
}

// Plus returns a + b, and false when the sum does not fit in int64 (or either is negative).
func Plus(a, b int64) (int64, bool) {
	if a < 0 || b < 0 || a > math.MaxInt64-b {
		return 0, false
	}
	return a + b, true
}
