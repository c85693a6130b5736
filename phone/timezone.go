package phone

import "github.com/nyaruka/phonenumbers"

// TimeZones are the IANA time zones libphonenumber places a number in (E.164), most numbers one,
// some several (a prefix spanning zones); nil when it cannot tell.
func TimeZones(e164 string) []string {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return nil
	}
	zones, err := phonenumbers.GetTimezonesForNumber(num)
	if err != nil || len(zones) == 0 || zones[0] == phonenumbers.UNKNOWN_TIMEZONE {
		return nil
	}
	return zones
}
