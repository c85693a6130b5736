package starter

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/cartback/cartback/workflows"
)

// repost compares the cart a running flow was reposted with to the flow's current cart (the
// flow's CartQuery: an earlier repost may have changed it), and sends a changed one to the flow
// (RepostUpdate), which answers whether it took it: updated, or fixed once its template is out.
// It answers "" for a repost without changes, which sends nothing.
func (s *Starter) repost(ctx context.Context, r Run, c workflows.Cart) (workflows.RepostAnswer, error) {
	v, err := s.c.QueryWorkflow(ctx, r.WorkflowID, r.RunID, workflows.CartQuery)
	if err != nil {
		return "", temporalError(err)
	}
	var current workflows.Cart
	if err := v.Get(&current); err != nil {
		return "", fmt.Errorf("decoding the cart of run %s: %w", r.RunID, err)
	}
	if reflect.DeepEqual(current, c) {
		return "", nil
	}
	h, err := s.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: r.WorkflowID, RunID: r.RunID, UpdateName: workflows.RepostUpdate, Args: []any{c},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var answer workflows.RepostAnswer
	if err == nil {
		err = h.Get(ctx, &answer)
	}
	var gone *serviceerror.NotFound
	switch {
	case errors.As(err, &gone):
		return workflows.RepostFixed, nil // the flow ended meanwhile: its cart is as it was
	case err != nil:
		return "", temporalError(err)
	}
	return answer, nil
}
