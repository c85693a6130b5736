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

func TestCustomerKeyOf(t *testing.T) {
	key := []byte("a deployment's secret id key....")
	if got, ok := CustomerKeyOf(WorkflowID(key, "+525512345678")); !ok || got != CustomerKey(key, "+525512345678") {
		t.Fatalf("CustomerKeyOf = %q, %v", got, ok)
	}
	for _, id := range []string{"", "cart-recovery/", "cart-recovery/xyz", "other/0123456789abcdef0123456789abcdef", "cart-recovery/0123456789abcdef0123456789abcdeg"} {
		if got, ok := CustomerKeyOf(id); ok {
			t.Errorf("CustomerKeyOf(%q) = %q, want none", id, got)
		}
	}
}
