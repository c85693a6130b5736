package store_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cartback/cartback/internal/testpostgres"
	"github.com/cartback/cartback/store"
	"github.com/cartback/cartback/workflows"
)

// onEachDatabase runs test once on SQLite and once on PostgreSQL (skipped, saying why, where
// none is reachable), each time with a URL of a fresh, empty database.
func onEachDatabase(t *testing.T, test func(t *testing.T, url string)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, store.SQLiteURL(filepath.Join(t.TempDir(), "cartback.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		pg := testpostgres.Find(t, "run the store's queries on PostgreSQL as well as SQLite")
		test(t, pg.URL(pg.CreateDatabase(t)))
	})
}

// open opens url as the test's store, closed when the test ends.
func open(t *testing.T, url string) *store.Store {
	t.Helper()
	s, err := store.Open(testContext(t), url)
	if err != nil {
		t.Fatalf("opening %s: %v", url, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// key is a customer key as the flows make them, from a test phone number.
func key(number string) string {
	return workflows.CustomerKey([]byte("store test id key, 32 bytes....."), number)
}

// userIDHash stands for the keyed HMAC of a BSUID (issue 9 decides its key and form).
func userIDHash(bsuid string) string {
	mac := hmac.New(sha256.New, []byte("store test user id key"))
	mac.Write([]byte(bsuid))
	return hex.EncodeToString(mac.Sum(nil))[:32]
}

// migrationsDir is found before any test changes the working directory.
var migrationsDir, _ = filepath.Abs("migrations")

// latestVersion is the newest migration's version, from the files themselves.
func latestVersion(t *testing.T) int64 {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(migrationsDir, "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations found (%v)", err)
	}
	slices.Sort(files)
	var v int64
	for _, c := range strings.SplitN(filepath.Base(files[len(files)-1]), "_", 2)[0] {
		v = v*10 + int64(c-'0')
	}
	return v
}

// checkSchema: goose recorded every version once, in order, up to the newest.
func checkSchema(t *testing.T, s *store.Store) {
	t.Helper()
	got, err := store.AppliedVersions(testContext(t), s)
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for v := range latestVersion(t) + 1 {
		want = append(want, v)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("applied versions %v, want each of %v once", got, want)
	}
}

// Migrations run at every Open and change nothing the second time: the data stays.
func TestMigrationsRunTwice(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, url string) {
		ctx := testContext(t)
		first := open(t, url)
		checkSchema(t, first)
		if _, _, err := first.Suppress(ctx, store.Suppression{CustomerKey: key("+16505551234"), Reason: store.ReasonKeyword}); err != nil {
			t.Fatal(err)
		}
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}
		second := open(t, url)
		checkSchema(t, second)
		if _, ok, err := second.Suppressed(ctx, key("+16505551234")); err != nil || !ok {
			t.Fatalf("after a second Open the suppression is gone: %v %v", ok, err)
		}
	})
}

// Several copies starting at once: one migrates, the others wait for it; all open, and goose
// recorded each version once. On a new database, and on one whose version table is there but
// the migrations are not (as when a release adds one), where nothing staggers the copies.
// Then all write at once, none refused.
func TestConcurrentOpen(t *testing.T) {
	const copies = 6
	onEachDatabase(t, func(t *testing.T, url string) {
		ctx := testContext(t)
		stores := openAtOnce(t, url, copies)
		checkSchema(t, stores[0])
		for _, s := range stores {
			s.Close()
		}
		if err := store.MigrateDownTo(ctx, url, 0); err != nil {
			t.Fatalf("undoing the migrations: %v", err)
		}
		stores = openAtOnce(t, url, copies)
		checkSchema(t, stores[0])

		const each = 20
		errs := make([]error, copies)
		var wg sync.WaitGroup
		for i, s := range stores {
			wg.Go(func() {
				for j := range each {
					number := fmt.Sprintf("+1650555%d%03d", i, j)
					if _, _, err := s.Suppress(ctx, store.Suppression{CustomerKey: key(number), Reason: store.ReasonKeyword}); err != nil {
						errs[i] = err
						return
					}
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("writing from %d copies at once: %v", copies, err)
		}
		page, _, err := stores[0].ListSuppressions(ctx, "", store.MaxPageSize)
		if err != nil || len(page) != copies*each {
			t.Fatalf("%d copies wrote %d suppressions each, %d listed (%v)", copies, each, len(page), err)
		}
	})
}

// openAtOnce opens url from copies goroutines released together.
func openAtOnce(t *testing.T, url string, copies int) []*store.Store {
	t.Helper()
	ctx := testContext(t)
	stores := make([]*store.Store, copies)
	errs := make([]error, copies)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range copies {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = store.Open(ctx, url)
		})
	}
	close(start)
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Fatalf("copy %d of %d starting at once: %v", i, copies, errs[i])
		}
		t.Cleanup(func() { s.Close() })
	}
	return stores
}

func TestBadURL(t *testing.T) {
	for _, url := range []string{
		"",
		"   ",
		"mysql://root@localhost/cartback",
		"localhost:5432",
		"/var/lib/cartback.db",
		"sqlite:cartback.db",
		"sqlite://",
		"sqlite://:memory:",
		"sqlite://file::memory:?cache=shared",
		"sqlite:///tmp/x.db?_pragma=foreign_keys(0)",
		"postgres://",
		"postgres://user:s3cret@db.example.com:5432",
		"postgres://user:s3cret@db.example.com:5432/",
		"postgresql://user:s3cret@db.example.com:notaport/cartback",
		"postgres://user:s3cret@%zz/cartback",
	} {
		err := store.ValidateURL(url)
		if !errors.Is(err, store.ErrBadURL) {
			t.Errorf("ValidateURL(%q) = %v, want ErrBadURL", url, err)
			continue
		}
		if !strings.Contains(err.Error(), "postgres://") || !strings.Contains(err.Error(), "sqlite://") {
			t.Errorf("ValidateURL(%q): %q does not name the accepted forms", url, err)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ValidateURL(%q): the error shows the password: %q", url, err)
		}
		if _, err := store.Open(t.Context(), url); !errors.Is(err, store.ErrBadURL) {
			t.Errorf("Open(%q) = %v, want ErrBadURL", url, err)
		}
	}
	for _, url := range []string{
		"postgres://cartback:pw@postgres:5432/cartback?sslmode=disable",
		"postgresql://localhost/cartback",
		"sqlite:///var/lib/cartback/cartback.db",
		"sqlite://cartback.db",
		"sqlite://./data/cartback.db",
		store.SQLiteURL(filepath.Join(t.TempDir(), "x.db")),
	} {
		if err := store.ValidateURL(url); err != nil {
			t.Errorf("ValidateURL(%q) = %v, want nil", url, err)
		}
	}
}

// A relative sqlite:// path is a file under the working directory.
func TestSQLiteRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	s := open(t, "sqlite://cartback.db")
	checkSchema(t, s)
	if _, err := os.Stat("cartback.db"); err != nil {
		t.Fatalf("sqlite://cartback.db did not make ./cartback.db: %v", err)
	}
}

func TestSQLiteMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	_, err := store.Open(t.Context(), store.SQLiteURL(filepath.Join(dir, "cartback.db")))
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Open in a directory that does not exist: %v, want an error naming it", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("Open created %s: %v", dir, err)
	}
}

// A PostgreSQL that does not answer is a connection error, not a bad URL, within ctx.
func TestPostgresUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := store.Open(ctx, "postgres://postgres@127.0.0.1:1/cartback?sslmode=disable&connect_timeout=5")
	if err == nil || errors.Is(err, store.ErrBadURL) || !strings.Contains(err.Error(), "connecting") {
		t.Fatalf("Open of a PostgreSQL that does not listen: %v, want a connection error", err)
	}
}

// After Close, every call fails instead of writing somewhere.
func TestClosed(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, url string) {
		ctx := testContext(t)
		s := open(t, url)
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("Ping of an open store: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		k := key("+16505551234")
		calls := map[string]error{
			"Ping": s.Ping(ctx),
			"Suppress": func() error {
				_, _, err := s.Suppress(ctx, store.Suppression{CustomerKey: k, Reason: store.ReasonKeyword})
				return err
			}(),
			"Lift":                   func() error { _, err := s.Lift(ctx, k, store.LiftOnStart...); return err }(),
			"LiftAll":                func() error { _, err := s.LiftAll(ctx, k); return err }(),
			"Suppressed":             func() error { _, _, err := s.Suppressed(ctx, k); return err }(),
			"ListSuppressions":       func() error { _, _, err := s.ListSuppressions(ctx, "", 10); return err }(),
			"RecordTemplateAccepted": s.RecordTemplateAccepted(ctx, k, time.Now()),
			"LastTemplateAccepted":   func() error { _, _, err := s.LastTemplateAccepted(ctx, k); return err }(),
			"LinkUserID":             s.LinkUserID(ctx, k, userIDHash("US.1")),
			"CustomerByUserID":       func() error { _, _, err := s.CustomerByUserID(ctx, userIDHash("US.1")); return err }(),
			"ReplaceUserID":          func() error { _, err := s.ReplaceUserID(ctx, userIDHash("US.1"), userIDHash("US.2")); return err }(),
		}
		for name, err := range calls {
			if err == nil || !strings.Contains(err.Error(), "closed") {
				t.Errorf("%s after Close: %v, want an error saying the database is closed", name, err)
			}
		}
	})
}
