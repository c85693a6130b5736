package server

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/cartback/cartback/workflows"
)

// TestConcurrentPostsOfOneCartStartOneRun: a storefront retrying hard posts one cart 100 times at
// once, half to each of two server processes (each with its own memory of recent starts): one
// answer is 202, every other is 200 already_exists for the same run, Temporal holds one run and
// the shopper gets one template.
func TestConcurrentPostsOfOneCartStartOneRun(t *testing.T) {
	env := startFlowEnv(t)
	servers := []*Server{env.server, newServer(t, env.client, env.ns, env.store, 30*time.Second)}
	const posts = 100
	body := cartJSON(t, "cart-concurrent", "+525533050001", nil)
	answers := make([]cartAnswer, posts)
	codes := make([]int, posts)
	var wg sync.WaitGroup
	for i := range posts {
		wg.Go(func() {
			a := api(t, servers[i%2], http.MethodPost, "/v1/carts", body)
			codes[i] = a.status
			a.decode(t, &answers[i])
		})
	}
	wg.Wait()
	started := 0
	for i, a := range answers {
		switch {
		case codes[i] == http.StatusAccepted && a.Status == statusStarted:
			started++
		case codes[i] == http.StatusOK && a.Status == statusAlreadyExists:
		default:
			t.Errorf("post %d: %d %+v, want 202 started or 200 already_exists", i, codes[i], a)
		}
		if a.RunID != answers[0].RunID {
			t.Errorf("post %d names run %s, post 0 run %s", i, a.RunID, answers[0].RunID)
		}
	}
	if started != 1 {
		t.Errorf("%d posts started a flow, want 1", started)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	query := workflows.CartIDAttribute.GetName() + " = 'cart-concurrent'"
	for {
		resp, err := env.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(resp.GetExecutions()); n >= 1 {
			if n != 1 {
				t.Errorf("Temporal holds %d runs for the cart, want 1", n)
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	env.sent(t, "525533050001", 1)
}
