package workflows

import (
	"strings"
	"unicode"
)

// ReplyClass is what a shopper's reply means to the flow.
type ReplyClass string

// The reply classes.
const (
	ReplyPositive     ReplyClass = "positive"     // still wants the cart: send the reminder
	ReplyNegative     ReplyClass = "negative"     // something stopped them: send the coupon
	ReplyStop         ReplyClass = "stop"         // never message them again
	ReplyUnrecognised ReplyClass = "unrecognised" // keep waiting
)

// The quick-reply buttons of the template, by index. Meta numbers a template's buttons from 0, and
// the template registered with Meta must list them in this order.
const (
	PositiveButtonIndex = 0
	NegativeButtonIndex = 1
	StopButtonIndex     = 2 // "Stop promotions"
)

// Choices carried in button payloads.
const (
	choicePositive = "yes"
	choiceNegative = "no"
	choiceStop     = "stop"
)

const payloadPrefix = "cart:"

// PositivePayload is the payload of the template's positive quick-reply button for a cart.
func PositivePayload(cartID string) string { return payloadPrefix + cartID + ":" + choicePositive }

// NegativePayload is the payload of the template's negative quick-reply button for a cart.
func NegativePayload(cartID string) string { return payloadPrefix + cartID + ":" + choiceNegative }

// StopPayload is the payload of the template's "Stop promotions" quick-reply button for a cart.
func StopPayload(cartID string) string { return payloadPrefix + cartID + ":" + choiceStop }

// IsStopPayload reports whether a button payload is a "Stop promotions" tap, whichever cart's
// template it was on: an opt-out holds for every cart.
func IsStopPayload(payload string) bool {
	rest, ok := strings.CutPrefix(payload, payloadPrefix)
	return ok && strings.HasSuffix(rest, ":"+choiceStop)
}

// ClassifyReply tells what a reply means for the flow of cartID. A button or interactive reply is
// read from its payload, which names the cart: a payload naming another cart (a tap on an older
// conversation's template) is unrecognised. A typed reply is read tolerantly: "1", " a ", "1.",
// "A)" and "1️⃣" are all positive; "stop" in any case and with any punctuation stops.
//
// It reads replies by the consent rules: any stop keyword (IsStopKeyword), and the stop button of
// any cart.
func ClassifyReply(r Reply, cartID string) ReplyClass { return classifyReply(r, cartID, true) }

// classifyReply reads a reply by the rules of a flow's version: without consent (flows started
// before consentChange) only "stop" stops, and only this cart's stop button.
func classifyReply(r Reply, cartID string, consent bool) ReplyClass {
	if consent && (IsStopPayload(r.Payload) || (r.Payload == "" && IsStopKeyword(r.Text))) {
		return ReplyStop
	}
	if r.Payload != "" {
		return classifyPayload(r.Payload, cartID)
	}
	switch normaliseText(r.Text) {
	case "1", "a":
		return ReplyPositive
	case "2", "b":
		return ReplyNegative
	case "stop":
		return ReplyStop
	}
	return ReplyUnrecognised
}

func classifyPayload(payload, cartID string) ReplyClass {
	rest, ok := strings.CutPrefix(payload, payloadPrefix)
	if !ok {
		return ReplyUnrecognised
	}
	// The cart id may itself contain ':', so the choice is what follows the last one.
	i := strings.LastIndexByte(rest, ':')
	if i < 0 || rest[:i] != cartID {
		return ReplyUnrecognised
	}
	switch rest[i+1:] {
	case choicePositive:
		return ReplyPositive
	case choiceNegative:
		return ReplyNegative
	case choiceStop:
		return ReplyStop
	}
	return ReplyUnrecognised
}

// normaliseText lower-cases a typed reply and drops what surrounds its letters and digits: spaces,
// punctuation, and the variation selector and keycap that turn "1" into the emoji "1️⃣".
func normaliseText(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	return strings.ToLower(s)
}
