package activities

import (
	"fmt"
	"strings"

	"github.com/cartback/cartback/money"
	"github.com/cartback/cartback/workflows"
)

// firstName is the template's body parameter. Meta refuses an empty parameter, so a customer
// without a name is greeted as "there" ("Hi there").
func firstName(name string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return "there"
}

// reminderText lists the cart's items with their prices, the total and the link back to the cart.
func reminderText(c workflows.Cart) string {
	var b strings.Builder
	b.WriteString("Great! Your cart is waiting for you:\n")
	for _, it := range c.Items {
		fmt.Fprintf(&b, "• %d × %s: %s\n", it.Quantity, it.Name, money.Format(it.UnitPriceMinor*int64(it.Quantity), c.Currency))
	}
	fmt.Fprintf(&b, "Total: %s\nComplete your purchase: %s", money.Format(c.TotalMinor, c.Currency), c.URL)
	return b.String()
}

// couponText is the answer to "something stopped me".
func couponText(code, cartURL string) string {
	return fmt.Sprintf("Here is a 10%% discount code: %s. Complete your purchase: %s", code, cartURL)
}
