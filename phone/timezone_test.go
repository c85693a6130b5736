package phone

import (
	"slices"
	"testing"
)

func TestTimeZones(t *testing.T) {
	for number, want := range map[string][]string{
		"+525512345678": {"America/Mexico_City"},
		"+62811234567":  {"Asia/Jakarta", "Asia/Makassar"}, // a prefix spanning two zones
		"+999123":       nil,                               // no such country code
		"not a number":  nil,
	} {
		if got := TimeZones(number); !slices.Equal(got, want) {
			t.Errorf("TimeZones(%q) = %v, want %v", number, got, want)
		}
	}
}
