package workflows

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"

	"github.com/cartback/cartback/phone"
)

// WorkflowIDPrefix starts every cart recovery workflow ID.
const WorkflowIDPrefix = "cart-recovery/"

// CustomerKey identifies a customer without revealing the number: the first 32 hex digits of
// HMAC-SHA256(idKey, canonical E.164). A keyed HMAC, not a plain hash, because the space of phone
// numbers is small enough to hash exhaustively. It is also the form of a customer that logs carry.
func CustomerKey(idKey []byte, number string) string {
	mac := hmac.New(sha256.New, idKey)
	mac.Write([]byte(phone.Canonical(number)))
	return hex.EncodeToString(mac.Sum(nil))[:32]
}

// WorkflowIDOf is the workflow ID of the customer whose key is customerKey (the same as
// WorkflowID of their number), for a customer known by key alone (through their BSUID).
func WorkflowIDOf(customerKey string) string { return WorkflowIDPrefix + customerKey }

// UserIDHash is how cartback keeps a WhatsApp business-scoped user id (BSUID): the first 32 hex
// digits of HMAC-SHA256(idKey, "bsuid:" + id), keyed for the same reason as CustomerKey, and
// prefixed so that it can never equal a customer key.
func UserIDHash(idKey []byte, userID string) string {
	mac := hmac.New(sha256.New, idKey)
	mac.Write([]byte("bsuid:" + userID))
	return hex.EncodeToString(mac.Sum(nil))[:32]
}

// WorkflowID is the ID of a customer's cart recovery workflow. It is per customer, not per cart,
// so that Temporal itself keeps one conversation per customer and an inbound message finds its
// flow from the sender's number alone. idKey must never change for a deployment: replies would
// stop reaching the flows already running.
func WorkflowID(idKey []byte, number string) string {
	return WorkflowIDOf(CustomerKey(idKey, number))
}
