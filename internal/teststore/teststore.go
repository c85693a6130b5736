// Package teststore gives a test a real cartback store of its own: SQLite in the test's temporary
// directory, migrated as at any start, closed when the test ends.
package teststore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/cartback/cartback/store"
)

// Open returns a fresh store for t.
func Open(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), store.SQLiteURL(filepath.Join(t.TempDir(), "cartback.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
