package activities

import "strings"

// firstName is the template's body parameter. Meta refuses an empty parameter, so a customer
// without a name is greeted as "there" ("Hi there").
func firstName(name string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return "there"
}
