package phone

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Region is the ISO 3166-1 alpha-2 code of the country a number belongs to ("MX" for "+525512345678"),
// as libphonenumber assigns it, or "" when it cannot tell (an invalid or unassigned number).
// Numbers shared by several countries (+1, +7, +44…) are told apart by their prefix.
func Region(e164 string) string {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return ""
	}
	return phonenumbers.GetRegionCodeForNumber(num)
}

// IsRegion reports whether code is a region libphonenumber knows ("MX", "ID"), in any case.
func IsRegion(code string) bool {
	return phonenumbers.GetCountryCodeForRegion(strings.ToUpper(code)) != 0
}
