package phone

import "testing"

func TestRegion(t *testing.T) {
	for _, tc := range []struct{ number, want string }{
		{"+525512345678", "MX"},
		{"+6281234567890", "ID"},
		{"+5511987654321", "BR"},
		{"+16505551234", "US"},
		{"+14165551234", "CA"}, // +1 is shared: Toronto's area code makes it Canada
		{"+442071838750", "GB"},
		{"+5491123456789", "AR"},
		{"not a number", ""},
		{"+999123", ""},
	} {
		if got := Region(tc.number); got != tc.want {
			t.Errorf("Region(%q) = %q, want %q", tc.number, got, tc.want)
		}
	}
}

func TestIsRegion(t *testing.T) {
	for code, want := range map[string]bool{"MX": true, "id": true, "US": true, "XX": false, "": false, "MEX": false} {
		if got := IsRegion(code); got != want {
			t.Errorf("IsRegion(%q) = %v, want %v", code, got, want)
		}
	}
}
