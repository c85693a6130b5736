package workflows

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Duration is a time.Duration that payloads carry as text ("24h", "1h30m"), so that a person reading
// a flow's input in the Web UI sees a length of time rather than a count of nanoseconds. Decoding
// also takes the number form, which flows started before this type existed carry in their history.
type Duration time.Duration

// String writes d as time.Duration does, without the zero units it appends ("24h", not "24h0m0s").
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// MarshalJSON writes d as a JSON string of String's form.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a Go duration string ("24h") or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var text string
	if err := json.Unmarshal(b, &text); err == nil {
		v, err := time.ParseDuration(text)
		if err != nil {
			return fmt.Errorf("a duration such as \"24h\": %w", err)
		}
		*d = Duration(v)
		return nil
	}
	var nanos int64
	if err := json.Unmarshal(b, &nanos); err != nil {
		return fmt.Errorf("a duration must be a string such as \"24h\" or a number of nanoseconds, not %s", b)
	}
	*d = Duration(nanos)
	return nil
}

// MarshalJSON writes the settings with their durations as text (see Duration).
func (s Settings) MarshalJSON() ([]byte, error) {
	type plain Settings // the same fields without these methods
	return json.Marshal(struct {
		ReplyWindow Duration `json:"reply_window"` // first, as in Settings: it shadows plain's
		plain
	}{Duration(s.ReplyWindow), plain(s)})
}

// UnmarshalJSON reads settings whose durations are text or, from older histories, nanoseconds.
func (s *Settings) UnmarshalJSON(b []byte) error {
	type plain Settings
	var w struct {
		plain
		ReplyWindow Duration `json:"reply_window"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = Settings(w.plain)
	s.ReplyWindow = time.Duration(w.ReplyWindow)
	return nil
}
