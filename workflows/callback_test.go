package workflows

import "testing"

// TestParseCallbackData: our sends' callback data, both forms, read back; anything else refused.
func TestParseCallbackData(t *testing.T) {
	id := WorkflowIDPrefix + "0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		data, id, step string
		ok             bool
	}{
		{CallbackData(id, StepTemplate), id, StepTemplate, true},
		{CallbackData(id, StepFollowUp), id, StepFollowUp, true},
		{CallbackData(id, StepClarification), id, StepClarification, true},
		{id, id, "", true}, // sends made before steps were named
		{id + "/reminder", "", "", false},
		{id + "/", "", "", false},
		{WorkflowIDPrefix + "0123456789ABCDEF0123456789ABCDEF/template", "", "", false},
		{WorkflowIDPrefix + "short/template", "", "", false},
		{"order-4711", "", "", false}, // another system's sends from the same number
		{"", "", "", false},
	} {
		gotID, gotStep, ok := ParseCallbackData(tc.data)
		if gotID != tc.id || gotStep != tc.step || ok != tc.ok {
			t.Errorf("ParseCallbackData(%q) = %q, %q, %v; want %q, %q, %v", tc.data, gotID, gotStep, ok, tc.id, tc.step, tc.ok)
		}
	}
}
