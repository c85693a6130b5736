package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/sirupsen/logrus"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/cartback/cartback/phone"
	"github.com/cartback/cartback/sandbox"
	"github.com/cartback/cartback/workflows"
)

// errNoConversation is the answer of reply when no flow waits for the shopper.
var errNoConversation = errors.New("no conversation is waiting")

// runReply answers as the shopper in the sandbox of the dev stack listening on CARTBACK_HTTP_ADDR:
// the sandbox posts the message to our webhook, signed, exactly as Meta would.
//
// The webhook answers 200 whether a flow took the message or not (Meta would retry it for days
// otherwise), so whether one will is asked of Temporal first, and a reply that no flow would take
// is not sent at all unless anyway says so: someone typing `cartback reply` means to answer a
// conversation, and a mistyped number would otherwise open a stranger's conversation in the
// sandbox and look like it worked. Asking first, not after, also tells a reply taken from one
// that went nowhere: a flow that takes "1" ends a moment later, so a look afterwards finds it ended
// either way. (A flow that ends between the look and the post, as its reply window closes, is the
// one case this reports wrongly.)
func runReply(ctx context.Context, e env, log *logrus.Logger, args []string, anyway bool) error {
	number, words := strings.TrimSpace(args[0]), args[1:]
	if len(words) > 0 && words[0] == "--" { // before a text such as "-h", which would ask for help
		words = words[1:]
	}
	text := strings.Join(words, " ")
	if err := checkReply(number, text); err != nil {
		return &argError{err}
	}
	cfg, err := loadStackConfig(e)
	if err != nil {
		return err
	}
	c, err := stackClient(ctx, e, log, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	dc, err := dataConverter(cfg)
	if err != nil {
		return err
	}
	cartID, waiting, err := waitingFlow(ctx, c, dc, cfg.IDKey, number)
	if err != nil {
		return err
	}
	if !waiting && !anyway {
		return fmt.Errorf("%w for %s: nothing was sent (-anyway sends it all the same)", errNoConversation, number)
	}
	base := "http://" + cfg.HTTPAddr
	if err := sandbox.PostReply(ctx, base, number, text); err != nil {
		var unreached *url.Error
		if errors.As(err, &unreached) {
			return fmt.Errorf("cannot reach the sandbox at %s (CARTBACK_HTTP_ADDR): %s; is `cartback dev` running?", base, lastWords(unreached.Err.Error()))
		}
		return err
	}
	switch {
	case !waiting:
		_, err = fmt.Fprintf(e.stdout, "sent; %v for %s: the webhook acknowledged it and no flow took it\n", errNoConversation, number)
	case cartID == "":
		_, err = fmt.Fprintln(e.stdout, "the reply reached the customer's flow")
	default:
		_, err = fmt.Fprintf(e.stdout, "the reply reached the flow for cart %s\n", cartID)
	}
	return err
}

// checkReply refuses what no flow could take, before anything is asked or sent. A number must be
// international: "5512345678" read as digits is +55 (Brazil), a stranger.
func checkReply(number, text string) error {
	if !strings.HasPrefix(number, "+") {
		return fmt.Errorf("%q is not an international number: write it as +<country code><number>, e.g. +525512345678", number)
	}
	if _, err := phone.Normalize(number); err != nil {
		return fmt.Errorf("%w; write it as +<country code><number>, e.g. +525512345678", err)
	}
	if strings.TrimSpace(text) == "" {
		return errors.New("the text is empty")
	}
	return nil
}

// waitingFlow finds the customer's open flow, the one the webhook signals: the workflow ID is per
// customer, and its latest run is open or no flow waits. cartID is the memo's, decoded with dc
// (the memo is encrypted as payloads are).
func waitingFlow(ctx context.Context, c client.Client, dc converter.DataConverter, idKey []byte, number string) (cartID string, waiting bool, err error) {
	d, err := c.DescribeWorkflowExecution(ctx, workflows.WorkflowID(idKey, number), "")
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return "", false, nil
	case err != nil:
		if why, ok := unreachable(err); ok {
			return "", false, fmt.Errorf("asking Temporal for the customer's flow: %s", why)
		}
		return "", false, fmt.Errorf("asking Temporal for the customer's flow: %w", err)
	}
	info := d.GetWorkflowExecutionInfo()
	if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return "", false, nil
	}
	if p := info.GetMemo().GetFields()[workflows.MemoCartID]; p != nil {
		_ = dc.FromPayload(p, &cartID) // without it, the flow is still the customer's
	}
	return cartID, true, nil
}
