package starter

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"
)

// FailFast are the gRPC options of the API's Temporal client. The SDK retries an Unavailable
// answer until the call's deadline and backs its reconnects off up to 10 s; a storefront or Meta
// waiting on us is better answered 503 at once, and served again as soon as Temporal is back.
// The worker's client keeps the SDK's patience: an activity's completion must not be given up.
func FailFast() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: 2 * time.Second,
		}),
		grpc.WithChainUnaryInterceptor(failWhileDisconnected),
	}
}

// failWhileDisconnected runs under the SDK's retries, once per attempt: an Unavailable attempt
// while the connection is down becomes FailedPrecondition, which the SDK does not retry and
// temporalError reads as ErrUnavailable.
func failWhileDisconnected(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	err := invoker(ctx, method, req, reply, cc, opts...)
	if status.Code(err) == codes.Unavailable && cc.GetState() != connectivity.Ready {
		return status.Errorf(codes.FailedPrecondition, "temporal is unreachable: %v", status.Convert(err).Message())
	}
	return err
}
