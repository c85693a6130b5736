package phone

import "strings"

// Canonical maps every form under which WhatsApp may report one subscriber to one string, so that a
// storefront's E.164 and the wa_id Meta puts in webhooks ("from", "wa_id", "recipient_id": digits, no '+')
// give the SAME result. Input: E.164 with '+' or bare wa_id digits. Output: E.164 with '+'.
//
// The canonical form is the current national numbering plan's E.164 (what Normalize returns for a correctly
// written mobile number). It is an identity key: compare Canonical(a) == Canonical(b); do not send to it in
// place of the wa_id Meta gave you, because Meta routes to the wa_id, which may be the legacy form.
//
// Input that is not a plausible number (no digits, letters, wrong length) is returned unchanged, so a caller
// that compares keys never merges garbage with a real number.
func Canonical(number string) string {
	d, ok := digitsOf(number)
	if !ok {
		return number
	}
	for _, r := range waIDRules {
		if len(d) == r.length && strings.HasPrefix(d, r.prefix) && r.matches(d) {
			d = r.canonical(d)
			break
		}
	}
	return "+" + d
}

// digitsOf strips an optional leading '+' and the separators people type, and reports whether what is left
// is 8 to 15 digits (E.164 allows at most 15; no WhatsApp number is shorter than 8).
func digitsOf(number string) (string, bool) {
	s := strings.TrimPrefix(strings.TrimSpace(number), "+")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return "", false
		}
	}
	d := b.String()
	return d, len(d) >= 8 && len(d) <= 15
}

// waIDRule rewrites one legacy/alternate form of a country's numbers into the canonical form. A rule fires
// only on digits of exactly its length that start with its prefix and pass matches, so every number of any
// other shape (other countries, landlines, short codes) passes through unchanged.
type waIDRule struct {
	country   string // ISO 3166 code, for readers
	prefix    string // leading digits of the alternate form, country code included
	length    int    // total digits of the alternate form, country code included
	matches   func(d string) bool
	canonical func(d string) string
}

// waIDRules lists the countries where the wa_id Meta reports and the E.164 a storefront holds can differ.
var waIDRules = []waIDRule{
	// Mexico (+52). Mexico abolished the "1" mobile prefix in August 2019, so E.164 is +52 + 10 digits, but
	// WhatsApp still identifies accounts as 521 + 10 digits: webhooks carry "from"/"wa_id" "5215512345678"
	// for a shopper whose number is +525512345678. Sources: chatwoot/chatwoot issue #14048 "normalize Mexico
	// WhatsApp phone numbers ... duplicate contacts on +521 prefix" and PR #14174 "fix: normalize mexico
	// whatsapp phone numbers"; mgp25/Chat-API issue #538 (contact sync answers 521... for 52...);
	// build-on-aws/rag-postgresql-agent-bedrock PR #1 "Fix for WhatsApp Mexico numbers with 521 as prefix".
	// Canonical: drop the 1. Mexican area codes never start with 0 or 1, so "521" + 10 digits whose next
	// digit is 2-9 can only be the legacy mobile form.
	{
		country: "MX", prefix: "521", length: 13,
		matches:   func(d string) bool { return d[3] >= '2' && d[3] <= '9' },
		canonical: func(d string) string { return "52" + d[3:] },
	},
	// Argentina (+54). A mobile's E.164 is +54 9 + area code + local number (10 digits after the 9); the 9
	// replaces the domestic "15" and marks a mobile. WhatsApp's wa_id is that same 549... form: chatwoot/chatwoot
	// issue #11053 "Reply messages in chatwoot via WhatsApp API do not reach the recipient" (webhooks arrive
	// as +549...). The form WITHOUT the 9 (54 + 10 digits) is what shoppers and storefronts often type, and
	// what Meta's development-mode allowed list matches against (chatwoot/chatwoot issue #13932 "Argentine
	// phone numbers fail with error #131030 in development mode"; chatwoot's ArgentinaPhoneNormalizer strips
	// 549 -> 54). WhatsApp's own help ("How to add an international contact") tells users to add the 9 and drop
	// the 15. Canonical: WITH the 9, because it is both the wa_id and valid mobile E.164. The 9 is only a
	// dialling indicator, not part of the subscriber number, so 54+N and 549+N cannot be two different people.
	// Argentine area codes start with 1, 2 or 3, which keeps 549-prefixed 12-digit strings out of the rule.
	{
		country: "AR", prefix: "54", length: 12,
		matches:   func(d string) bool { return d[2] >= '1' && d[2] <= '3' },
		canonical: func(d string) string { return "549" + d[2:] },
	},
	// Brazil (+55). Between 2012 and 2016 Anatel prefixed every mobile number with a ninth digit 9
	// (+55 AA 9XXXX-XXXX, 13 digits). Accounts registered before the change kept their 8-digit wa_id
	// (55 AA XXXX-XXXX, 12 digits) and webhooks report that form; newer accounts report the 9-digit form, and
	// which one an account has cannot be derived from the area code. Sources: devlikeapro/waha issue #238
	// "Error sending text to half of Brazilian numbers (every number registered before 2012)";
	// wwebjs/whatsapp-web.js issue #596 "Rules to verify number in Brazil"; chatwoot/chatwoot PR #12655
	// "Extend phone number normalization to Twilio WhatsApp" (5541988887777 vs 554188887777).
	// Canonical: WITH the 9 (current E.164). Only 8-digit subscriber numbers starting 6-9 were mobiles;
	// landlines start 2-5 and must not gain a 9 (devlikeapro/waha issue #1974 "Brazil landline number
	// incorrectly receiving mobile digit" is exactly that bug). Area codes (DDD) never contain a 0.
	{
		country: "BR", prefix: "55", length: 12,
		matches: func(d string) bool {
			return d[2] != '0' && d[3] != '0' && d[4] >= '6' && d[4] <= '9'
		},
		canonical: func(d string) string { return d[:4] + "9" + d[4:] },
	},
}
