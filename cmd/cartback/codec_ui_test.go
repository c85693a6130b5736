//go:build !nodev

package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/cartback/cartback/payloadcrypt"
)

// TestDevUIShowsDecryptedInput opens a run in the dev stack's Web UI in a real headless Chromium:
// its Input shows the cart decrypted (the UI calls our codec endpoint, cross-origin), while the
// payload Temporal stores, read through the raw WorkflowService, is ciphertext.
func TestDevUIShowsDecryptedInput(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("no chromium on PATH (Debian's chromium package; .ci/run installs it): the Web UI's decryption is not tested in a browser")
	}
	s := startTestStack(t, t.TempDir(), true)
	const phone, cartID = "+525566778899", "c_ui_codec"
	var started struct {
		WorkflowID string `json:"workflow_id"`
		RunID      string `json:"run_id"`
	}
	if code := s.api(t, http.MethodPost, "/v1/carts", cartJSON(cartID, phone), &started); code != http.StatusAccepted {
		t.Fatalf("POST /v1/carts: %d", code)
	}
	s.await(t, phone, isTemplate)

	// What Temporal stores.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	hist, err := s.client.WorkflowService().GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
		Namespace: s.temporal.Namespace(), Execution: &commonpb.WorkflowExecution{WorkflowId: started.WorkflowID, RunId: started.RunID}})
	if err != nil {
		t.Fatal(err)
	}
	stored := hist.GetHistory().GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()[0]
	if enc := string(stored.GetMetadata()[converter.MetadataEncoding]); enc != payloadcrypt.Encoding {
		t.Fatalf("the stored input's encoding is %q, want %q", enc, payloadcrypt.Encoding)
	}
	for _, clear := range []string{"Sheena", strings.TrimPrefix(phone, "+"), cartID} {
		if bytes.Contains(stored.GetData(), []byte(clear)) {
			t.Fatalf("the stored input holds %q in clear", clear)
		}
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1400, 1000))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()

	page := s.temporal.UIAddress() + "/namespaces/" + s.temporal.Namespace() + "/workflows/" +
		url.PathEscape(started.WorkflowID) + "/" + started.RunID + "/history"
	if err := chromedp.Do(bctx, chromedp.Navigate(page)); err != nil {
		t.Fatal(err)
	}
	// The Input card renders the decoded payload as JSON: the shopper's number and name in clear.
	shown := `document.body && document.body.innerText.includes("Sheena Nelson") && document.body.innerText.includes(` + "`" + phone + "`" + `)`
	if err := chromedp.Do(bctx, chromedp.Poll[chromedp.Void](shown, chromedp.WithPollingInterval(250*time.Millisecond), chromedp.WithPollingTimeout(time.Minute))); err != nil {
		text, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		t.Fatalf("the run's page never showed the decrypted input (%v); it shows:\n%s", err, text)
	}
	text, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "Input") || strings.Contains(text, payloadcrypt.Encoding) {
		t.Errorf("the page shows no Input, or a payload still encrypted:\n%s", text)
	}
}
