package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// unixTime decodes Meta's Unix-seconds timestamps, which messages and statuses send as JSON strings
// ("1749416383") and user_preferences as JSON numbers (1731705721). Absent, null or "" decode to the zero
// time; anything else that is not an integer is a malformed payload.
type unixTime struct{ time.Time }

// UnmarshalJSON accepts a JSON string or number holding integer seconds since the Unix epoch.
func (t *unixTime) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			return nil
		}
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %.40q is not integer Unix seconds", s)
	}
	t.Time = time.Unix(sec, 0).UTC()
	return nil
}
