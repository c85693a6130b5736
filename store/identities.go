package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrUserIDConflict is wrapped by ReplaceUserID's error when the new user id already names
// another customer. Nothing is changed.
var ErrUserIDConflict = errors.New("the user id already names another customer")

// LinkUserID records that the customer is the WhatsApp user whose business-scoped user id
// (BSUID) has the keyed HMAC userIDHash, as a webhook that carries both shows. The latest
// pair wins, keeping one user id per customer and one customer per user id: a customer's
// earlier user id is replaced, and a user id linked to another customer (a number changed
// under the same account) moves to this one. Linking the same pair again changes nothing.
func (s *Store) LinkUserID(ctx context.Context, customerKey, userIDHash string) error {
	if err := errors.Join(checkKey("customer key", customerKey), checkUserIDHash(userIDHash)); err != nil {
		return err
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM customer_user_ids WHERE user_id_hash = $2 AND customer_key <> $1`,
			customerKey, userIDHash); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO customer_user_ids (customer_key, user_id_hash, linked_at_us) VALUES ($1, $2, $3)
			ON CONFLICT (customer_key) DO UPDATE SET user_id_hash = excluded.user_id_hash, linked_at_us = excluded.linked_at_us
			WHERE customer_user_ids.user_id_hash <> excluded.user_id_hash`, customerKey, userIDHash, micros(s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: linking a user id: %w", err)
	}
	return nil
}

// CustomerByUserID is the customer key linked to the user id hash; ok is false if none is.
func (s *Store) CustomerByUserID(ctx context.Context, userIDHash string) (customerKey string, ok bool, err error) {
	if err := checkUserIDHash(userIDHash); err != nil {
		return "", false, err
	}
	err = s.db.QueryRowContext(ctx, `SELECT customer_key FROM customer_user_ids WHERE user_id_hash = $1`, userIDHash).Scan(&customerKey)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("store: finding a user id's customer: %w", err)
	}
	return customerKey, true, nil
}

// ReplaceUserID moves the customer of user id hash oldHash to newHash, when Meta reports that a
// user's id changed. replaced is false when oldHash names no customer (nothing is changed: link
// the new one with LinkUserID where the customer is known). A newHash that already names
// another customer is refused with ErrUserIDConflict; one that names the same customer, or
// equals oldHash, is already done.
func (s *Store) ReplaceUserID(ctx context.Context, oldHash, newHash string) (replaced bool, err error) {
	if err := errors.Join(checkUserIDHash(oldHash), checkUserIDHash(newHash)); err != nil {
		return false, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		replaced = false
		var key, holder string
		err := tx.QueryRowContext(ctx, `SELECT customer_key FROM customer_user_ids WHERE user_id_hash = $1`, oldHash).Scan(&key)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `SELECT customer_key FROM customer_user_ids WHERE user_id_hash = $1`, newHash).Scan(&holder)
		switch {
		case err == nil && holder != key:
			return ErrUserIDConflict
		case err == nil: // newHash == oldHash
			replaced = true
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE customer_user_ids SET user_id_hash = $2, linked_at_us = $3 WHERE customer_key = $1`,
			key, newHash, micros(s.now()))
		replaced = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: replacing a user id: %w", err)
	}
	return replaced, nil
}
