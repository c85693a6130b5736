package sandbox

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
)

// pageSource is the sandbox page: one self-contained file (styles and script inline) because the
// machines it runs on may have no network.
//
//go:embed page.html.tmpl
var pageSource string

// endedTitle explains a template's buttons that are off (see endedTemplates).
const endedTitle = "This conversation has moved on: a tap would change nothing"

// parsePage parses the page; html/template escapes every value by its context.
func parsePage() (*template.Template, error) {
	funcs := template.FuncMap{"endedTitle": func() string { return endedTitle }}
	t, err := template.New("page").Funcs(funcs).Parse(pageSource)
	if err != nil {
		return nil, fmt.Errorf("sandbox: page template: %w", err)
	}
	return t, nil
}

// servePage renders the page with every conversation; its script keeps it current.
func (s *Sandbox) servePage(w http.ResponseWriter, _ *http.Request) {
	// Rendered to a buffer first, so that a failure is a clean 500 rather than half a page.
	var buf bytes.Buffer
	if err := s.page.Execute(&buf, s.view()); err != nil {
		http.Error(w, "sandbox: rendering the page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// The page shows customers' data and posts replies: keep other sites from framing it.
	w.Header().Set("X-Frame-Options", "DENY")
	_, _ = w.Write(buf.Bytes())
}
