package devserver_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/cartback/cartback/devserver"
	"github.com/cartback/cartback/worker"
	"github.com/cartback/cartback/workflows"
)

const taskQueue = "devserver-test"

// greet sets a search attribute as the cart workflow does, so the test shows they are usable at once.
func greet(ctx workflow.Context, name string) (string, error) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, workflows.CartIDAttribute.ValueSet("c_1")); err != nil {
		return "", err
	}
	return "hello " + name, nil
}

// waitForSignal is a flow that waits for a reply, as a cart does.
func waitForSignal(ctx workflow.Context) (string, error) {
	var reply string
	workflow.GetSignalChannel(ctx, "reply").Receive(ctx, &reply)
	return "got " + reply, nil
}

func start(t *testing.T, opts devserver.Options) *devserver.Server {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = logrus.New()
		opts.Logger.SetLevel(logrus.WarnLevel)
	}
	began := time.Now()
	s, err := devserver.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	t.Logf("ready in %v: frontend %s, UI %q", time.Since(began).Round(time.Millisecond), s.FrontendAddress(), s.UIAddress())
	return s
}

func quietSDKLogger() *worker.Logger {
	l := logrus.New()
	l.SetLevel(logrus.WarnLevel)
	return worker.NewLogger(l)
}

func dial(t *testing.T, s *devserver.Server) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: s.FrontendAddress(), Namespace: s.Namespace(), Logger: quietSDKLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func runWorker(t *testing.T, c client.Client, wf any) {
	t.Helper()
	w := sdkworker.New(c, taskQueue, sdkworker.Options{})
	w.RegisterWorkflow(wf)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
}

func retention(t *testing.T, c client.Client, namespace string) time.Duration {
	t.Helper()
	ns, err := c.WorkflowService().DescribeNamespace(t.Context(), &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	if err != nil {
		t.Fatal(err)
	}
	return ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration()
}

func TestStartRunsAWorkflowAndServesTheUI(t *testing.T) {
	const codec = "http://127.0.0.1:8080/codec"
	s := start(t, devserver.Options{DataDir: t.TempDir(), Namespace: "carts", Retention: 45 * 24 * time.Hour, CodecEndpoint: codec})
	c := dial(t, s)
	runWorker(t, c, greet)

	run, err := c.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{TaskQueue: taskQueue}, greet, "cart")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := run.Get(t.Context(), &got); err != nil || got != "hello cart" {
		t.Fatalf("workflow gave %q, %v", got, err)
	}
	// A workflow task that set an attribute the server did not know yet would have failed first.
	history := c.GetWorkflowHistory(t.Context(), run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for history.HasNext() {
		e, err := history.Next()
		if err != nil {
			t.Fatal(err)
		}
		if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED {
			t.Errorf("a workflow task failed: %v", e.GetWorkflowTaskFailedEventAttributes())
		}
	}

	if got := retention(t, c, "carts"); got != 45*24*time.Hour {
		t.Errorf("retention %v, want 45 days", got)
	}
	attrs, err := c.OperatorService().ListSearchAttributes(t.Context(), &operatorservice.ListSearchAttributesRequest{Namespace: "carts"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{workflows.CartIDAttribute.GetName(), workflows.OutcomeAttribute.GetName()} {
		if attrs.GetCustomAttributes()[name] != enumspb.INDEXED_VALUE_TYPE_KEYWORD {
			t.Errorf("search attribute %s: %v, want Keyword", name, attrs.GetCustomAttributes()[name])
		}
	}

	if !strings.HasPrefix(s.UIAddress(), "http://127.0.0.1:") {
		t.Errorf("UIAddress %q", s.UIAddress())
	}
	resp, err := http.Get(s.UIAddress() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET / on the UI: %s", resp.Status)
	}
	// The UI's browser code reads its codec endpoint from the settings.
	resp, err = http.Get(s.UIAddress() + "/api/v1/settings")
	if err != nil {
		t.Fatal(err)
	}
	var settings struct{ Codec struct{ Endpoint string } }
	err = json.NewDecoder(resp.Body).Decode(&settings)
	resp.Body.Close()
	if err != nil || settings.Codec.Endpoint != codec {
		t.Errorf("the UI's codec endpoint is %q (%v), want %q", settings.Codec.Endpoint, err, codec)
	}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for line := range strings.Lines(string(b)) {
			if strings.HasPrefix(line, "VmRSS") || strings.HasPrefix(line, "VmHWM") {
				t.Log(strings.TrimSpace(line))
			}
		}
	}
}

// childDirEnv makes the test binary, run again by TestRestart, do the first half of the test: the
// restart is a real one, in a new process that opens the file afresh.
const childDirEnv = "DEVSERVER_TEST_CHILD_DIR"

func TestRestartKeepsWaitingFlows(t *testing.T) {
	if dir := os.Getenv(childDirEnv); dir != "" {
		s := start(t, devserver.Options{DataDir: dir, Retention: 48 * time.Hour, UIPort: devserver.NoUI})
		c := dial(t, s)
		if got := retention(t, c, "default"); got != 48*time.Hour {
			t.Fatalf("retention %v, want 48h", got)
		}
		// No worker: the flow's first task waits in the file for the next process.
		if _, err := c.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{ID: "waiter", TaskQueue: taskQueue}, waitForSignal); err != nil {
			t.Fatal(err)
		}
		c.Close()
		if err := s.Stop(); err != nil {
			t.Fatal(err)
		}
		return
	}

	dir := t.TempDir()
	child := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestRestartKeepsWaitingFlows$", "-test.v")
	child.Env = append(os.Environ(), childDirEnv+"="+dir)
	out, err := child.CombinedOutput()
	t.Logf("first process:\n%s", out)
	if err != nil {
		t.Fatal(err)
	}

	// Second start, in this process: the retention changed since.
	s := start(t, devserver.Options{DataDir: dir, Retention: 72 * time.Hour})
	c := dial(t, s)
	if got := retention(t, c, "default"); got != 72*time.Hour {
		t.Errorf("retention %v, want 72h", got)
	}
	frontend, ui := port(t, s.FrontendAddress()), port(t, strings.TrimPrefix(s.UIAddress(), "http://"))
	c.Close()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	// Third start, same process and same ports: what Ctrl-C and `cartback dev` again do.
	s = start(t, devserver.Options{DataDir: dir, FrontendPort: frontend, UIPort: ui})
	c = dial(t, s)
	if got := retention(t, c, "default"); got != devserver.DefaultRetention {
		t.Errorf("retention %v, want the default %v", got, devserver.DefaultRetention)
	}
	runWorker(t, c, waitForSignal)
	if err := c.SignalWorkflow(t.Context(), "waiter", "", "reply", "2"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var got string
	if err := c.GetWorkflow(ctx, "waiter", "").Get(ctx, &got); err != nil || got != "got 2" {
		t.Fatalf("the flow after the restarts gave %q, %v", got, err)
	}
}

func TestBadOptionsNameTheVariable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port

	for want, opts := range map[string]devserver.Options{
		"CARTBACK_TEMPORAL_PORT is " + strconv.Itoa(taken) + ", which is already in use": {FrontendPort: taken},
		"CARTBACK_UI_PORT is " + strconv.Itoa(taken) + ", which is already in use":       {UIPort: taken},
		"CARTBACK_RETENTION is 30m0s: it must be at least 1h":                            {Retention: 30 * time.Minute},
	} {
		opts.DataDir = t.TempDir()
		s, err := devserver.Start(t.Context(), opts)
		if err == nil {
			_ = s.Stop()
			t.Fatalf("Start succeeded, want %q", want)
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q, want it to say %q", err, want)
		}
	}
}

func port(t *testing.T, hostPort string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(hostPort)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}
