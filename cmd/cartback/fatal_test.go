//go:build !nodev

package main

import (
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/cartback/cartback/internal/testtemporal"
	"github.com/cartback/cartback/store"
)

// TestWorkerExitsOnAFatalError: `cartback worker` whose polls Temporal refuses for good
// (InvalidArgument, as for a namespace it may not use) exits non-zero once the SDK gives up on
// them, rather than staying up and polling nothing. The SDK retries such answers for two
// minutes first, so the test waits that long, in parallel with the others.
func TestWorkerExitsOnAFatalError(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the SDK's two minutes of retried poll errors")
	}
	t.Parallel()
	_, namespace, frontend := testtemporal.StartServing(t)
	proxy := startRefusingProxy(t, frontend)
	dir := t.TempDir()
	worker := startWorkerProcess(t, map[string]string{
		"CARTBACK_DATA_DIR": dir, "CARTBACK_ID_KEY": "fatal test id key, 32 bytes.....",
		"CARTBACK_DATABASE_URL": store.SQLiteURL(filepath.Join(dir, "cartback.db")),
		"WHATSAPP_TOKEN":        "fatal-test-token", "WHATSAPP_PHONE_NUMBER_ID": sandboxPhoneNumberID,
		"WHATSAPP_API_BASE_URL": "http://127.0.0.1:9", // never reached: no flow runs
		"TEMPORAL_ADDRESS":      proxy.addr, "TEMPORAL_NAMESPACE": namespace,
	})
	t.Cleanup(func() { worker.kill(t) })
	deadline := time.Now().Add(time.Minute)
	for proxy.polls.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the worker never polled; its log:\n%s", worker.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	proxy.refuse.Store(true)
	began := time.Now()

	exited := make(chan error, 1)
	go func() { exited <- worker.cmd.Wait() }()
	select {
	case err := <-exited:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("the worker ended with %v, want exit status 1; its log:\n%s", err, worker.log())
		}
		if !strings.Contains(worker.log(), "the worker stopped") {
			t.Errorf("the worker's log does not say why it stopped:\n%s", worker.log())
		}
		t.Logf("the worker exited %v after its polls were first refused", time.Since(began).Round(time.Second))
	case <-time.After(4 * time.Minute):
		t.Fatalf("the worker still runs 4 minutes after its polls were refused; its log:\n%s", worker.log())
	}
}

// refusingProxy forwards gRPC calls to Temporal's frontend, and once refuse is set answers every
// poll InvalidArgument, an answer the SDK treats as fatal.
type refusingProxy struct {
	addr   string
	polls  atomic.Int64
	refuse atomic.Bool
}

func startRefusingProxy(t *testing.T, frontend string) *refusingProxy {
	t.Helper()
	conn, err := grpc.NewClient(frontend, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawCodec{})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &refusingProxy{addr: ln.Addr().String()}
	srv := grpc.NewServer(grpc.ForceServerCodecV2(rawCodec{}), grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		method, _ := grpc.MethodFromServerStream(stream)
		if strings.Contains(method, "/Poll") {
			p.polls.Add(1)
			if p.refuse.Load() {
				return status.Error(codes.InvalidArgument, "refused by the test's proxy")
			}
		}
		// The SDK makes unary calls only: one message in, one out.
		var req mem.BufferSlice
		if err := stream.RecvMsg(&req); err != nil {
			return err
		}
		ctx := stream.Context()
		if md, ok := metadata.FromIncomingContext(ctx); ok {
			ctx = metadata.NewOutgoingContext(ctx, md.Copy())
		}
		var resp mem.BufferSlice
		if err := conn.Invoke(ctx, method, &req, &resp); err != nil {
			return err
		}
		return stream.SendMsg(&resp)
	}))
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return p
}

// rawCodec passes messages through as the bytes they are on the wire.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) { return *v.(*mem.BufferSlice), nil }

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	data.Ref() // grpc frees data once Unmarshal returns; the forwarded call frees it after sending
	*v.(*mem.BufferSlice) = data
	return nil
}

func (rawCodec) Name() string { return "proto" }
