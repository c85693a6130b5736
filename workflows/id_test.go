package workflows

import (
	"strings"
	"testing"
)

func TestWorkflowIDIsPerCustomerAndKeyed(t *testing.T) {
	key := []byte("a deployment's secret id key....")
	id := WorkflowID(key, "+16505551234")
	if !strings.HasPrefix(id, WorkflowIDPrefix) || len(id) != len(WorkflowIDPrefix)+32 {
		t.Fatalf("workflow id %q: want the prefix and 32 hex digits", id)
	}
	if strings.Contains(id, "6505551234") {
		t.Fatalf("workflow id %q holds the number", id)
	}
	if again := WorkflowID(key, "16505551234"); again != id {
		t.Fatalf("the wa_id form gives %q, the E.164 form %q", again, id)
	}
	if other := WorkflowID(key, "+16505551235"); other == id {
		t.Fatal("two customers share a workflow id")
	}
	if other := WorkflowID([]byte("another deployment's key........"), "+16505551234"); other == id {
		t.Fatal("the id does not depend on the key")
	}
}
