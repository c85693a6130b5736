package worker

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/sirupsen/logrus"
)

func TestLoggerPassesKeyValuesAsFields(t *testing.T) {
	var out bytes.Buffer
	l := logrus.New()
	l.SetOutput(&out)
	l.SetFormatter(&logrus.JSONFormatter{})
	l.SetLevel(logrus.DebugLevel)

	NewLogger(l).With("WorkflowID", "cart-recovery/abc").Warn("activity failed", "Attempt", 3, "dangling")

	var line map[string]any
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	want := map[string]any{"msg": "activity failed", "level": "warning", "WorkflowID": "cart-recovery/abc", "Attempt": float64(3), "dangling": "(missing value)"}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %v, want %v (line %s)", k, line[k], v, out.String())
		}
	}
}
