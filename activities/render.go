package activities

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/cartback/cartback/messages"
	"github.com/cartback/cartback/money"
	"github.com/cartback/cartback/workflows"
)

// maxTextRunes is the longest body WhatsApp takes in a text message: Meta refuses a longer one.
const maxTextRunes = 4096

// maxListedItems is the most lines a reminder lists; the others are counted ("…and 3 more").
const maxListedItems = 10

// defaultMessages are the texts of flows whose input carries none (started before the messages
// file existed, or by hand): the embedded file's fallback locale.
var defaultMessages = messages.Default().Fallback()

// textsOf is a request's messages, or the default ones when it has none.
func textsOf(m *workflows.Messages) workflows.Messages {
	if m == nil {
		return defaultMessages
	}
	return *m
}

// written is an amount of currency as the locale writes it.
func written(m workflows.Messages, minor int64, currency string) string {
	return money.Written(minor, currency, money.Style{Decimal: m.Money.Decimal, Group: m.Money.Group, Symbol: m.Money.Symbols[currency]})
}

// reminderText lists the cart's lines with their amounts, the total and the link back to the cart,
// in the locale's words. It lists at most maxListedItems lines, and fewer when the message would
// not fit in WhatsApp's 4,096 characters; the rest are counted on the last line.
func reminderText(m workflows.Messages, name string, c workflows.Cart) (string, error) {
	lines := make([]string, len(c.Items))
	for i, it := range c.Items {
		// The API refused carts whose lines overflow; an overflow here is an input made by hand.
		amount, ok := money.Times(it.UnitPriceMinor, it.Quantity)
		shown := written(m, amount, c.Currency)
		if !ok {
			shown = written(m, it.UnitPriceMinor, c.Currency) + " ×"
		}
		lines[i] = fmt.Sprintf("• %d × %s: %s", it.Quantity, it.Name, shown)
	}
	for listed := min(len(lines), maxListedItems); listed >= 0; listed-- {
		items := strings.Join(lines[:listed], "\n")
		if left := len(lines) - listed; left > 0 {
			more, err := messages.Render(m.MoreItems, messages.MoreItemsFields{Count: left})
			if err != nil {
				return "", fmt.Errorf("the %s more_items text: %w", m.Locale, err)
			}
			items = strings.TrimPrefix(items+"\n"+more, "\n")
		}
		body, err := messages.Render(m.Reminder, messages.ReminderFields{
			FirstName: firstName(name), Items: items, Total: written(m, c.TotalMinor, c.Currency), Link: c.URL,
		})
		if err != nil {
			return "", fmt.Errorf("the %s reminder text: %w", m.Locale, err)
		}
		if utf8.RuneCountInString(body) <= maxTextRunes {
			return body, nil
		}
	}
	return "", fmt.Errorf("the %s reminder does not fit in %d characters even without its lines", m.Locale, maxTextRunes)
}

// couponText is the answer to "something stopped me", in the locale's words.
func couponText(m workflows.Messages, name, code, discount, cartURL string) (string, error) {
	body, err := messages.Render(m.Coupon, messages.CouponFields{FirstName: firstName(name), Code: code, Discount: discount, Link: cartURL})
	if err != nil {
		return "", fmt.Errorf("the %s coupon text: %w", m.Locale, err)
	}
	return body, nil
}

// clarificationText asks again, once, after a reply the flow did not understand.
func clarificationText(m workflows.Messages, name string) (string, error) {
	body, err := messages.Render(m.Clarification, messages.ClarificationFields{FirstName: firstName(name)})
	if err != nil {
		return "", fmt.Errorf("the %s clarification text: %w", m.Locale, err)
	}
	return body, nil
}
