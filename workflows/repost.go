package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"
)

// RepostUpdate is the update the storefront's repost of a flow's cart with changes sends (payload
// Cart, the cart as reposted): it answers a RepostAnswer. CartQuery answers the flow's current
// Cart, which the starter compares a repost with.
const (
	RepostUpdate = "repost"
	CartQuery    = "cart"
)

// RepostAnswer is what a repost did.
type RepostAnswer string

// The answers to RepostUpdate.
const (
	// RepostUpdated: the flow was still waiting for its first message; it goes on with the reposted
	// cart, and the send delay counts again from the repost.
	RepostUpdated RepostAnswer = "updated"
	// RepostFixed: the first message is out (or the flow predates reposts): the cart stays as it was.
	RepostFixed RepostAnswer = "fixed"
)

// repostChange lets a repost replace the cart of a flow waiting for its first message, and
// restarts the wait from it (storefronts post every checkout change).
const (
	repostChange  = "repost-update"
	repostVersion = 1
)

// handleReposts answers CartQuery and RepostUpdate. The validator refuses another cart's repost
// before anything is written to the flow's history.
func (f *flow) handleReposts(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, CartQuery, func() (Cart, error) { return f.in.Cart, nil }); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, RepostUpdate, func(_ workflow.Context, c Cart) (RepostAnswer, error) {
		if !f.repostable || f.state.Step != StepScheduled {
			return RepostFixed, nil
		}
		f.in.Cart, f.reposted = c, true
		return RepostUpdated, nil
	}, workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, c Cart) error {
		if c.ID != f.in.Cart.ID {
			return fmt.Errorf("a repost of cart %q, not of this flow's", c.ID)
		}
		return nil
	}})
}
