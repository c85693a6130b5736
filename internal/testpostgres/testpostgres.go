// Package testpostgres finds the PostgreSQL that tests run on, and gives each test run
// databases of its own. Tests that need one skip, saying how to provide one, where nothing
// listens: neither Docker nor a database is needed to run the repository's tests. CI has one.
package testpostgres

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
)

// Where the tests' PostgreSQL is: trust (password-less) authentication, a role allowed to
// create databases.
const (
	AddrEnv     = "CARTBACK_TEST_POSTGRES"      // host:port
	UserEnv     = "CARTBACK_TEST_POSTGRES_USER" // a role with CREATEDB
	DefaultAddr = "127.0.0.1:5432"
	DefaultUser = "postgres"
)

// maintenanceDB is the database connected to for creating and dropping others; every
// PostgreSQL has it.
const maintenanceDB = "postgres"

// Server is a reachable PostgreSQL and the role tests log in as.
type Server struct {
	Host string
	Port int
	User string
}

// Find returns the tests' PostgreSQL, or skips t where none listens; what names, for the skip
// message, what the test would run there. Something that listens but refuses the login fails t:
// that is a misconfiguration to fix, not a reason to skip.
func Find(t testing.TB, what string) Server {
	t.Helper()
	addr := cmp.Or(os.Getenv(AddrEnv), DefaultAddr)
	user := cmp.Or(os.Getenv(UserEnv), DefaultUser)
	host, portText, err := net.SplitHostPort(addr)
	port, perr := strconv.Atoi(portText)
	if err != nil || perr != nil {
		t.Fatalf("%s=%q: want host:port", AddrEnv, addr)
	}
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Skipf("no PostgreSQL at %s (%v): set %s=host:port (and %s, default %q; trust authentication, "+
			"a role that may create databases) to %s", addr, err, AddrEnv, UserEnv, DefaultUser, what)
	}
	conn.Close()
	s := Server{Host: host, Port: port, User: user}
	if err := s.Exec("", "SELECT 1"); err != nil {
		t.Fatalf("PostgreSQL at %s refused %s=%q without a password: %v", addr, UserEnv, user, err)
	}
	return s
}

// Addr is the server's host:port.
func (s Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// URL is the postgres:// URL of database on the server, as pgx and CARTBACK_DATABASE_URL take it.
func (s Server) URL(database string) string {
	u := url.URL{Scheme: "postgres", User: url.User(s.User), Host: s.Addr(), Path: "/" + database, RawQuery: "sslmode=disable"}
	return u.String()
}

// Exec runs statements, in order, on database ("" for the maintenance database).
func (s Server) Exec(database string, stmts ...string) error {
	db, err := sql.Open("pgx", s.URL(cmp.Or(database, maintenanceDB)))
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, stmt := range stmts {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return nil
}

// FreshName is a database name no other run uses, cartback_test_<random>; the database of
// that name is dropped when t ends, forcibly (a pool may still hold connections to it), if
// something created it.
func (s Server) FreshName(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "cartback_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		if err := s.Exec("", fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, name)); err != nil {
			t.Errorf("dropping the test database %s: %v", name, err)
		}
	})
	return name
}

// CreateDatabase creates a fresh, empty database for t, dropped when t ends, and returns its name.
func (s Server) CreateDatabase(t testing.TB) string {
	t.Helper()
	name := s.FreshName(t)
	if err := s.Exec("", fmt.Sprintf(`CREATE DATABASE %q`, name)); err != nil {
		t.Fatalf("creating the test database: %v", err)
	}
	return name
}
