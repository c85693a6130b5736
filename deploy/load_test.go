package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cartback/cartback/starter"
	"github.com/cartback/cartback/store"
	"github.com/cartback/cartback/worker"
	"github.com/cartback/cartback/workflows"
)

// Load the storefront puts on the production shape: each call is one visibility query.
const (
	loadPerSecond = 50
	loadSeconds   = 20
)

// runStorefrontLoad makes 50 storefront calls a second for 20 s, as two server processes would:
// one posts new carts, the other marks carts of the second before as bought (neither has the
// cart in its memory of recent starts, so each call asks visibility). With the server's default
// visibility limit (10 a second) most were refused with ResourceExhausted; with the compose
// file's dynamic config, none is.
func runStorefrontLoad(t *testing.T, frontend, namespace string, consent *store.Store) {
	t.Helper()
	// The SDK retries a ResourceExhausted answer until the call's deadline: count the refusals on
	// the wire, under its retries, with an interceptor inside them.
	// Only a rate limit's refusals count: "Workflow is busy" (a purchase signalled while its
	// flow's lock is held) is contention on a loaded machine, which the SDK retries, not a limit.
	var refused, busy atomic.Int64
	countRefusals := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		err := invoker(ctx, method, req, reply, cc, opts...)
		if status.Code(err) != codes.ResourceExhausted {
			return err
		}
		if isRateLimit(err) {
			if refused.Add(1) == 1 {
				t.Logf("the first refusal: %s: %v", method, err)
			}
		} else {
			busy.Add(1)
		}
		return err
	}
	c, err := client.Dial(client.Options{HostPort: frontend, Namespace: namespace, Logger: worker.NewLogger(logrus.New()),
		ConnectionOptions: client.ConnectionOptions{DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(countRefusals)}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	posting, buying := newLoadStarter(t, c, consent), newLoadStarter(t, c, consent)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed []error
	)
	done := func(err error) {
		if err != nil {
			mu.Lock()
			failed = append(failed, err)
			mu.Unlock()
		}
	}
	began := time.Now()
	tick := time.NewTicker(time.Second / loadPerSecond)
	defer tick.Stop()
	const posts = loadPerSecond * loadSeconds * 3 / 5 // the rest are purchases
	for i := range loadPerSecond * loadSeconds {
		<-tick.C
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			group, k := i/5, i%5
			if k < 3 { // 3 of every 5 calls post a cart
				done(postLoadCart(ctx, posting, group*3+k))
				return
			}
			// A cart posted a second (ten groups of five calls) before: visibility has it by then.
			cart := max(0, (group-loadPerSecond/5)*3+k-3)
			_, err := buying.Purchase(ctx, loadCartID(cart), workflows.Purchase{OrderID: fmt.Sprintf("order-%d", i)})
			if errors.Is(err, starter.ErrNotFound) {
				err = nil // visibility had not caught up yet: not a refusal
			}
			done(err)
		})
	}
	wg.Wait()
	t.Logf("%d storefront calls (%d carts posted) in %v: %d calls to Temporal refused by its rate limit, %d answered busy, %d storefront calls failed",
		loadPerSecond*loadSeconds, posts, time.Since(began).Round(time.Millisecond), refused.Load(), busy.Load(), len(failed))
	if n := refused.Load(); n > 0 {
		t.Errorf("Temporal refused %d calls with ResourceExhausted", n)
	}
	// Calls that timed out on a loaded machine are not refusals; they are counted, not failed on
	// (timings are never asserted here), unless none got through at all.
	if len(failed) > 0 {
		t.Logf("the first failure: %v", failed[0])
	}
	if len(failed) == loadPerSecond*loadSeconds {
		t.Error("no storefront call succeeded: the test proved nothing")
	}
}

// isRateLimit tells a refusal by one of Temporal's rate or concurrency limits from other
// ResourceExhausted answers (a busy workflow, an overloaded system).
func isRateLimit(err error) bool {
	var exhausted *serviceerror.ResourceExhausted
	if !errors.As(serviceerror.FromStatus(status.Convert(err)), &exhausted) {
		return false
	}
	switch exhausted.Cause {
	case enumspb.RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT, enumspb.RESOURCE_EXHAUSTED_CAUSE_CONCURRENT_LIMIT,
		enumspb.RESOURCE_EXHAUSTED_CAUSE_APS_LIMIT, enumspb.RESOURCE_EXHAUSTED_CAUSE_OPS_LIMIT, enumspb.RESOURCE_EXHAUSTED_CAUSE_PERSISTENCE_LIMIT:
		return true
	}
	return false
}

func newLoadStarter(t *testing.T, c client.Client, consent *store.Store) *starter.Starter {
	st, err := starter.New(c, starter.Options{IDKey: idKey, Settings: workflows.Settings{ReplyWindow: time.Hour, CouponCode: "SAVE10"}, Consent: consent})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func loadCartID(n int) string { return fmt.Sprintf("cart-load-%d", n) }

// postLoadCart posts cart n for a customer of its own.
func postLoadCart(ctx context.Context, st *starter.Starter, n int) error {
	cart, err := starter.DecodeCart(fmt.Appendf(nil, `{
		"cart_id": %q,
		"customer": {"phone": "+52 55 40%06d", "name": "Ana Lima", "opt_in": {"at": %q, "source": "checkout"}},
		"items": [{"name": "Rain jacket", "quantity": 1, "unit_price": "49.90"}],
		"currency": "EUR", "total": "49.90", "cart_url": "https://shop.example.com/c/1"
	}`, loadCartID(n), n, time.Now().Add(-time.Hour).Format(time.RFC3339)))
	if err != nil {
		return err
	}
	_, err = st.Start(ctx, cart)
	return err
}
