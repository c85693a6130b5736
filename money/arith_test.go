package money

import (
	"math"
	"testing"
)

func TestTimesAndPlus(t *testing.T) {
	for _, tc := range []struct {
		minor int64
		n     int
		want  int64
		ok    bool
	}{
		{6499, 2, 12998, true},
		{0, 10000, 0, true},
		{math.MaxInt64, 1, math.MaxInt64, true},
		{math.MaxInt64 / 2, 2, math.MaxInt64 - 1, true},
		{math.MaxInt64/2 + 1, 2, 0, false},
		{922337203685477581, 10, 0, false},
		{-1, 2, 0, false},
	} {
		if got, ok := Times(tc.minor, tc.n); got != tc.want || ok != tc.ok {
			t.Errorf("Times(%d, %d) = %d, %v; want %d, %v", tc.minor, tc.n, got, ok, tc.want, tc.ok)
		}
	}
	if got, ok := Plus(math.MaxInt64-1, 1); !ok || got != math.MaxInt64 {
		t.Errorf("Plus(max-1, 1) = %d, %v", got, ok)
	}
	if _, ok := Plus(math.MaxInt64, 1); ok {
		t.Error("Plus(max, 1) fits")
	}
	if _, ok := Plus(-1, 1); ok {
		t.Error("Plus(-1, 1) was taken")
	}
}
