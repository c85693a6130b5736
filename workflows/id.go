package workflows

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"

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

// Steps a send's callback data names, so that Meta's status for it is proof the step's message
// was accepted (see CallbackData).
const (
	StepTemplate = "template"
	StepFollowUp = "follow-up"
	// StepClarification is the one "Reply 1 or 2" after a reply the flow did not understand.
	StepClarification = "clarification"
)

// CallbackData is a send's biz_opaque_callback_data, which Meta echoes in the message's statuses:
// "<workflow id>/<step>". Meta has no idempotency key for sends; a status naming the step tells
// a flow whose send is being retried (a worker died after Meta accepted it, an answer came too
// late) that the message is out, so that it is not sent again.
func CallbackData(workflowID, step string) string { return workflowID + "/" + step }

// ParseCallbackData reads a status's callback data: the workflow ID and the step, or the bare
// workflow ID of sends made before steps were named (step ""). ok is false for anything else,
// such as another system's sends from the same number.
func ParseCallbackData(data string) (workflowID, step string, ok bool) {
	rest, found := strings.CutPrefix(data, WorkflowIDPrefix)
	if !found {
		return "", "", false
	}
	key, step, named := strings.Cut(rest, "/")
	if !isCustomerKey(key) || named && step != StepTemplate && step != StepFollowUp && step != StepClarification {
		return "", "", false
	}
	return WorkflowIDPrefix + key, step, true
}

// isCustomerKey reports whether s has CustomerKey's form: 32 lower-case hex digits.
func isCustomerKey(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
