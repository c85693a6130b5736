package workflows

// Messages are the template and follow-up texts of the shopper's locale, chosen from the messages
// file (CARTBACK_MESSAGES_FILE) when the flow starts and copied into its input, so that a change of
// the file applies to new flows only. Texts are Go templates (text/template) whose fields the
// messages package checked when the file was loaded; the send activities render them.
type Messages struct {
	// Locale is the messages file's locale chosen for the shopper ("es", "id"...).
	Locale string `json:"locale"`
	// TemplateName and TemplateLanguage name the check-in template registered with Meta for the
	// locale; empty means the worker's WHATSAPP_TEMPLATE_NAME and WHATSAPP_TEMPLATE_LANGUAGE.
	TemplateName     string `json:"template_name,omitempty"`
	TemplateLanguage string `json:"template_language,omitempty"`
	// Reminder answers a positive reply: .FirstName, .Items (the lines, already listed), .Total, .Link.
	Reminder string `json:"reminder"`
	// MoreItems closes a reminder that could not list every line: .Count lines left out.
	MoreItems string `json:"more_items"`
	// Coupon answers a negative reply: .FirstName, .Code, .Discount, .Link.
	Coupon string `json:"coupon"`
	// Clarification answers the first reply the flow did not understand: .FirstName.
	Clarification string `json:"clarification"`
	// Money says how the locale writes amounts.
	Money MoneyFormat `json:"money"`
}

// MoneyFormat is how a locale writes an amount: its separators, and each currency's symbol where
// it has one ("Rp" before 1.250.000,00); a currency without a symbol is written after the amount
// with its ISO code.
type MoneyFormat struct {
	Decimal string            `json:"decimal"`
	Group   string            `json:"group"`
	Symbols map[string]string `json:"symbols,omitempty"` // ISO 4217 code → what precedes the amount
}

// DefaultCouponDiscount is the discount a coupon text names when the flow's input names none
// (flows started before CARTBACK_COUPON_DISCOUNT existed).
const DefaultCouponDiscount = "10%"

// SendClarificationActivity answers the first reply the flow did not understand, once, in the
// shopper's language ("Reply 1 or 2"); see clarifyChange.
const SendClarificationActivity = "SendClarification"

// ClarificationRequest is the request of SendClarificationActivity.
type ClarificationRequest struct {
	CallbackData string    `json:"callback_data"`
	Phone        string    `json:"phone"`
	Name         string    `json:"name,omitempty"`
	Messages     *Messages `json:"messages,omitempty"`
}
