package worker

import (
	"context"
	"fmt"
	"maps"
	"slices"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/cartback/cartback/workflows"
)

// EnsureSearchAttributes registers the workflow's search attributes in the namespace where they are
// missing. The workflow sets them, and a workflow task that sets an unknown attribute fails over
// and over, so a worker checks before it starts. On Temporal Cloud the operator API may be closed
// to the worker's key: the error then says which attributes to add with tcld.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	ops := c.OperatorService()
	have, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("listing the search attributes of namespace %q: %w", namespace, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for _, name := range []string{workflows.CartIDAttribute.GetName(), workflows.OutcomeAttribute.GetName()} {
		if _, ok := have.GetCustomAttributes()[name]; !ok {
			missing[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing}); err != nil {
		return fmt.Errorf("registering the Keyword search attributes %v in namespace %q (add them by hand if this key may not): %w", slices.Sorted(maps.Keys(missing)), namespace, err)
	}
	return nil
}
