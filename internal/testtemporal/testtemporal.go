// Package testtemporal starts a real Temporal server inside a test: the server's own temporaltest
// package (frontend, history, matching and worker services on SQLite in memory, ephemeral ports),
// with cartback's search attributes registered. Only tests import it: it links the whole server.
package testtemporal

import (
	"context"
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
