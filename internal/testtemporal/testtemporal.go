// Package testtemporal starts a real Temporal server inside a test: the server's own temporaltest
// package (frontend, history, matching and worker services on SQLite in memory, ephemeral ports),
// with cartback's search attributes registered. Only tests import it: it links the whole server.
package testtemporal

import (
	"context"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"

	"github.com/cartback/cartback/worker"
)

// Start starts a server for t and returns a client of its namespace. Both stop when t ends.
func Start(t testing.TB) (client.Client, string) {
	t.Helper()
	c, namespace, _ := StartServing(t)
	return c, namespace
}

// StartWith is Start with options for the server, such as its dynamic config.
func StartWith(t testing.TB, opts ...temporaltest.TestServerOption) (client.Client, string) {
	t.Helper()
	c, namespace, _ := StartServing(t, opts...)
	return c, namespace
}

// StartServing is StartWith, also returning the frontend's host:port, for other processes to dial.
func StartServing(t testing.TB, opts ...temporaltest.TestServerOption) (c client.Client, namespace, hostPort string) {
	t.Helper()
	ts := temporaltest.NewServer(opts...)
	t.Cleanup(ts.Stop)
	c = ts.GetDefaultClient()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := worker.EnsureSearchAttributes(ctx, c, ts.GetDefaultNamespace()); err != nil {
		t.Fatal(err)
	}
	return c, ts.GetDefaultNamespace(), ts.GetFrontendHostPort()
}

// HistoryJSON is the whole history of a run (runID "" for the latest) as the replay tests read it:
// the protojson the replayer's file loader takes. Tests record replay histories with it.
func HistoryJSON(t testing.TB, ctx context.Context, c client.Client, workflowID, runID string) []byte {
	t.Helper()
	iter := c.GetWorkflowHistory(ctx, workflowID, runID, false, 0)
	hist := &historypb.History{}
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		hist.Events = append(hist.Events, e)
	}
	data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(hist)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
