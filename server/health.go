package server

import (
	"context"
	_ "embed"
	"net/http"
)

// openAPIDocument describes every route of the router (see openapi_test.go).
//
//go:embed openapi.yaml
var openAPIDocument []byte

// healthz answers while the process serves: a liveness probe, which must not depend on Temporal
// (restarting the server would not bring Temporal back).
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only while Temporal and cartback's store answer, so that a load balancer
// stops sending traffic this process cannot act on.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.CallTimeout)
	defer cancel()
	if err := s.starter.Ready(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(openAPIDocument)
}
