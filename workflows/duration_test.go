package workflows

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestDurationText(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{24 * time.Hour, "24h"},
		{90 * time.Minute, "1h30m"},
		{2 * time.Minute, "2m"},
		{time.Hour + time.Second, "1h0m1s"},
		{1500 * time.Millisecond, "1.5s"},
		{0, "0s"},
	} {
		if got := Duration(tc.d).String(); got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.d, got, tc.want)
		}
		var back Duration
		if err := json.Unmarshal([]byte(`"`+tc.want+`"`), &back); err != nil || time.Duration(back) != tc.d {
			t.Errorf("%q decodes to %v (%v), want %v", tc.want, time.Duration(back), err, tc.d)
		}
	}
}

func TestSettingsCarryDurationsAsText(t *testing.T) {
	b, err := json.Marshal(Settings{ReplyWindow: 24 * time.Hour, CouponCode: "SAVE10"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"reply_window":"24h","coupon_code":"SAVE10"}`; string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
	for _, body := range []string{`{"reply_window":"24h","coupon_code":"X"}`, `{"reply_window":86400000000000,"coupon_code":"X"}`} {
		var s Settings
		if err := json.Unmarshal([]byte(body), &s); err != nil || s.ReplyWindow != 24*time.Hour || s.CouponCode != "X" {
			t.Errorf("%s decodes to %+v (%v)", body, s, err)
		}
	}
	for _, body := range []string{`{"reply_window":"a day"}`, `{"reply_window":true}`} {
		var s Settings
		if err := json.Unmarshal([]byte(body), &s); err == nil {
			t.Errorf("%s decodes to %+v, want an error", body, s)
		}
	}
}

// TestOldHistoriesInputsDecode reads the input of every history recorded before durations were
// text: their reply window, in nanoseconds, must still come out as the length it was.
func TestOldHistoriesInputsDecode(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "v1", "*.json"))
	if len(files) == 0 {
		t.Fatal("no histories in testdata/v1")
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var h struct {
			Events []struct {
				Started *struct {
					Input struct {
						Payloads []struct {
							Data string `json:"data"`
						} `json:"payloads"`
					} `json:"input"`
				} `json:"workflowExecutionStartedEventAttributes"`
			} `json:"events"`
		}
		if err := json.Unmarshal(raw, &h); err != nil || len(h.Events) == 0 || h.Events[0].Started == nil {
			t.Fatalf("%s: not a history starting with its start event (%v)", file, err)
		}
		data, err := base64.StdEncoding.DecodeString(h.Events[0].Started.Input.Payloads[0].Data)
		if err != nil {
			t.Fatal(err)
		}
		var in Input
		if err := json.Unmarshal(data, &in); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		var recorded struct {
			Settings struct {
				ReplyWindow int64 `json:"reply_window"`
			} `json:"settings"`
		}
		if err := json.Unmarshal(data, &recorded); err != nil || recorded.Settings.ReplyWindow <= 0 {
			t.Fatalf("%s: the recorded reply window is not a number of nanoseconds (%v): %s", file, err, data)
		}
		if in.Settings.ReplyWindow != time.Duration(recorded.Settings.ReplyWindow) {
			t.Errorf("%s: reply window %v, want %v", file, in.Settings.ReplyWindow, time.Duration(recorded.Settings.ReplyWindow))
		}
	}
}
