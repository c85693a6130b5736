package server

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"gopkg.in/yaml.v3"
)

// TestOpenAPIDocumentsEveryRoute holds the router and openapi.yaml together: every route is
// documented, and every documented operation is served.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	t.Parallel()
	s := unreachableServer(t)

	var served []string
	err := s.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		methods, err := route.GetMethods()
		if err != nil {
			return nil // a prefix (the /v1 subrouter), not an operation
		}
		path, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		for _, m := range methods {
			served = append(served, strings.ToLower(m)+" "+path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi: %q, want 3.x", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if method == "parameters" {
				continue
			}
			documented = append(documented, method+" "+path)
			if op, ok := op.(map[string]any); !ok || op["responses"] == nil {
				t.Errorf("%s %s documents no responses", method, path)
			}
		}
	}
	slices.Sort(served)
	slices.Sort(documented)
	if !slices.Equal(served, documented) {
		t.Errorf("router and openapi.yaml differ:\nserved     %v\ndocumented %v", served, documented)
	}

	a := do(t, s, http.MethodGet, "/openapi.yaml", nil, nil)
	if a.status != http.StatusOK || string(a.body) != string(openAPIDocument) {
		t.Errorf("GET /openapi.yaml: %d, %d bytes", a.status, len(a.body))
	}
}
