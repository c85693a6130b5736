package store

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// ErrBadURL is wrapped by the error Open and ValidateURL return for a database URL of no
// accepted form, so that configuration can tell it from a database that does not answer.
var ErrBadURL = errors.New("bad database URL")

// URLForms names the accepted forms of a database URL, for error messages and help text.
const URLForms = "postgres://user:password@host:5432/database (or postgresql://, any of pgx's " +
	"parameters such as ?sslmode=require), or sqlite:// followed by a file path " +
	"(sqlite:///var/lib/cartback/cartback.db, sqlite://cartback.db relative to the working directory)"

// kind is which database a URL names.
type kind int

const (
	postgresKind kind = iota + 1
	sqliteKind
)

// location is a parsed database URL: the PostgreSQL URL as pgx reads it, or the SQLite file.
type location struct {
	kind kind
	dsn  string // postgres: the URL itself; sqlite: the file's path
}

// SQLiteURL is the database URL of the SQLite file at path, as `cartback dev` and tests build it.
func SQLiteURL(path string) string { return "sqlite://" + filepath.ToSlash(path) }

// ValidateURL reports whether raw is a database URL Open accepts, without connecting; the error
// wraps ErrBadURL and names the accepted forms. Configuration checks it at start.
func ValidateURL(raw string) error {
	_, err := parseURL(raw)
	return err
}

// parseURL reads the accepted forms. Everything after "sqlite://" is the file's path, so that
// sqlite:///abs/path is absolute and sqlite://rel/path relative, as golang-migrate reads them; an
// in-memory SQLite is refused, since what it stores is lost when the process ends.
func parseURL(raw string) (location, error) {
	raw = strings.TrimSpace(raw)
	scheme, rest, ok := strings.Cut(raw, "://")
	switch {
	case raw == "":
		return location{}, fmt.Errorf("%w: empty; want %s", ErrBadURL, URLForms)
	case ok && (scheme == "postgres" || scheme == "postgresql"):
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			// The URL is not echoed: it may hold a password.
			return location{}, fmt.Errorf("%w: a %s:// URL that does not parse as host and database; want %s", ErrBadURL, scheme, URLForms)
		}
		if strings.Trim(u.Path, "/") == "" {
			return location{}, fmt.Errorf("%w: %s names no database (cartback keeps its own, not Temporal's); want %s", ErrBadURL, u.Redacted(), URLForms)
		}
		return location{kind: postgresKind, dsn: raw}, nil
	case ok && scheme == "sqlite":
		switch {
		case rest == "":
			return location{}, fmt.Errorf("%w: sqlite:// names no file; want %s", ErrBadURL, URLForms)
		case strings.Contains(rest, ":memory:") || strings.Contains(rest, "mode=memory"):
			return location{}, fmt.Errorf("%w: %s is an in-memory database, which forgets consent when the process ends; name a file: %s", ErrBadURL, raw, URLForms)
		case strings.ContainsAny(rest, "?#"):
			// cartback sets the SQLite options itself (see sqliteDSN); a '?' would be read as some.
			return location{}, fmt.Errorf("%w: %s: no parameters are accepted after the SQLite path; want %s", ErrBadURL, raw, URLForms)
		}
		return location{kind: sqliteKind, dsn: filepath.FromSlash(rest)}, nil
	case ok:
		return location{}, fmt.Errorf("%w: unknown scheme %q; want %s", ErrBadURL, scheme, URLForms)
	}
	return location{}, fmt.Errorf("%w: it does not start with a scheme and \"://\"; want %s", ErrBadURL, URLForms)
}
