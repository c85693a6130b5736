package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Page sizes of ListSuppressions.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// ErrBadCursor is wrapped by ListSuppressions's error for a cursor it did not give out (the
// HTTP layer's 400).
var ErrBadCursor = errors.New("bad cursor")

// cursorVersion starts every cursor, so that a later form can tell an older one apart.
const cursorVersion = "s1"

// ListSuppressions returns a page of every suppression held, for compliance exports, in a
// stable order: by time, then customer key, then reason. cursor is "" for the first page, then
// the next of the page before; next is "" after the last page. limit is the page's size:
// DefaultPageSize when 0 or less, at most MaxPageSize. A suppression made while paging shows
// on a later page if it is later than the cursor (Suppress's At is the event's time, which may
// be earlier); a lifted one is gone.
func (s *Store) ListSuppressions(ctx context.Context, cursor string, limit int) (page []Suppression, next string, err error) {
	if limit <= 0 {
		limit = DefaultPageSize
	}
	limit = min(limit, MaxPageSize)
	query := `SELECT ` + suppressionColumns + ` FROM suppressions`
	args := []any{}
	if cursor != "" {
		after, err := decodeCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		query += ` WHERE (suppressed_at_us, customer_key, reason) > ($1, $2, $3)`
		args = append(args, micros(after.At), after.CustomerKey, after.Reason)
	}
	// One more than the page tells whether another page follows.
	query += fmt.Sprintf(` ORDER BY suppressed_at_us, customer_key, reason LIMIT %d`, limit+1)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: listing suppressions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		sup, err := scanSuppression(rows)
		if err != nil {
			return nil, "", fmt.Errorf("store: listing suppressions: %w", err)
		}
		page = append(page, sup)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("store: listing suppressions: %w", err)
	}
	if len(page) > limit {
		page = page[:limit]
		next = encodeCursor(page[limit-1])
	}
	return page, next, nil
}

// encodeCursor is the position after sup: its time, customer key and reason, opaque to clients.
func encodeCursor(sup Suppression) string {
	raw := strings.Join([]string{cursorVersion, strconv.FormatInt(micros(sup.At), 10), sup.CustomerKey, string(sup.Reason)}, ".")
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCursor(cursor string) (Suppression, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return Suppression{}, fmt.Errorf("%w: not one ListSuppressions gave out (not base64url)", ErrBadCursor)
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 4 || parts[0] != cursorVersion {
		return Suppression{}, fmt.Errorf("%w: not one ListSuppressions gave out", ErrBadCursor)
	}
	us, err := strconv.ParseInt(parts[1], 10, 64)
	sup := Suppression{At: fromMicros(us), CustomerKey: parts[2], Reason: Reason(parts[3])}
	if err != nil || checkKey("customer key", sup.CustomerKey) != nil || !sup.Reason.Valid() {
		return Suppression{}, fmt.Errorf("%w: not one ListSuppressions gave out (its position is malformed)", ErrBadCursor)
	}
	return sup, nil
}
