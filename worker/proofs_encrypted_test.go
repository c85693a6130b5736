package worker_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/cartback/cartback/internal/testtemporal"
	"github.com/cartback/cartback/payloadcrypt"
	"github.com/cartback/cartback/worker"
	"github.com/cartback/cartback/workflows"
)

// TestHistoryProofsReadEncryptedStatuses: with payload encryption on, Meta's statuses are stored
// sealed, and HistoryProofs reads them with the clients' data converter (as the worker gives it);
// the SDK's default converter cannot.
func TestHistoryProofsReadEncryptedStatuses(t *testing.T) {
	plain, ns := testtemporal.Start(t)
	codec, err := payloadcrypt.New(payloadcrypt.Keys{"k1": bytes.Repeat([]byte{5}, payloadcrypt.KeySize)}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	dc := payloadcrypt.DataConverter(codec)
	c, err := client.NewClientFromExisting(plain, client.Options{Namespace: ns, DataConverter: dc})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// No worker polls this queue: the run only holds the signal, as a flow waiting for its turn does.
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "proofs-encrypted", TaskQueue: "no-worker"}, workflows.WorkflowName, "input")
	if err != nil {
		t.Fatal(err)
	}
	const messageID = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"
	if err := c.SignalWorkflow(ctx, run.GetID(), run.GetRunID(), workflows.StatusSignal,
		workflows.Status{MessageID: messageID, Status: "sent", Step: workflows.StepTemplate}); err != nil {
		t.Fatal(err)
	}

	sealed := false
	it := c.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if sig := ev.GetWorkflowExecutionSignaledEventAttributes(); sig != nil {
			p := sig.GetInput().GetPayloads()[0]
			sealed = string(p.GetMetadata()[converter.MetadataEncoding]) == payloadcrypt.Encoding && !bytes.Contains(p.GetData(), []byte(messageID))
		}
	}
	if !sealed {
		t.Fatal("the status signal is not stored sealed")
	}

	got, err := worker.HistoryProofs{Client: c, DataConverter: dc}.SentProof(ctx, run.GetID(), run.GetRunID(), workflows.StepTemplate)
	if err != nil || got != messageID {
		t.Errorf("with the clients' converter: %q, %v; want %q", got, err, messageID)
	}
	if got, err := (worker.HistoryProofs{Client: c}).SentProof(ctx, run.GetID(), run.GetRunID(), workflows.StepTemplate); err == nil {
		t.Errorf("the default converter read a sealed status: %q", got)
	}
}
