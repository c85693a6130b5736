package messages

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestTheDefaultFileHasTheFourLocales(t *testing.T) {
	f := Default()
	if got := f.Locales(); !slices.Equal(got, []string{"en", "es", "id", "pt"}) {
		t.Errorf("locales %v", got)
	}
	if fb := f.Fallback(); fb.Locale != "en" || fb.Reminder == "" || fb.Coupon == "" || fb.Clarification == "" || fb.MoreItems == "" {
		t.Errorf("fallback %+v", fb)
	}
	for _, key := range f.Locales() {
		if m, _ := f.Locale(key); key != "en" && m.TemplateLanguage == "" {
			t.Errorf("%s has no template language of its own", key)
		}
	}
}

// TestForChoosesTheShoppersLocale: the cart's locale (whole, then its language), else the number's
// country, else the fallback.
func TestForChoosesTheShoppersLocale(t *testing.T) {
	f := Default()
	for _, tc := range []struct{ locale, phone, want string }{
		{"es_MX", "+16505551234", "es"},
		{"es-419", "+16505551234", "es"},
		{"pt_BR", "+525512345678", "pt"},
		{"PT-br", "+525512345678", "pt"},
		{"id", "+525512345678", "id"},
		{"en_US", "+6281234567890", "en"},
		{"fr", "+525512345678", "es"}, // no French: the Mexican number's
		{"", "+6281234567890", "id"},  // Indonesia
		{"", "+5511987654321", "pt"},  // Brazil
		{"", "+34612345678", "es"},    // Spain
		{"", "+16505551234", "en"},    // no locale lists the US: the fallback
		{"", "+999", "en"},            // no country at all
		{"de_DE", "+4915123456789", "en"},
	} {
		if got := f.For(tc.locale, tc.phone); got.Locale != tc.want {
			t.Errorf("For(%q, %s) = %s, want %s", tc.locale, tc.phone, got.Locale, tc.want)
		}
	}
}

const goodFile = `fallback: en
locales:
  en:
    money: {decimal: ".", group: ","}
    reminder: |-
      Your cart:
      {{.Items}}
      {{.Total}} {{.Link}}
    more_items: "and {{.Count}} more"
    coupon: "{{.Code}} gives {{.Discount}}: {{.Link}}"
    clarification: "Reply 1 or 2, {{.FirstName}}"
`

// TestParseNamesTheLine: every problem of a file is reported, each with its line.
func TestParseNamesTheLine(t *testing.T) {
	if _, err := Parse("m.yaml", []byte(goodFile)); err != nil {
		t.Fatalf("the good file: %v", err)
	}
	for name, tc := range map[string]struct {
		edit func(string) string
		want []string
	}{
		"unknown field in a block": {func(s string) string { return strings.Replace(s, "{{.Total}}", "{{.Totl}}", 1) },
			[]string{"m.yaml:8: locales.en.reminder: {{.Totl}} is not a field of the reminder text (it has .FirstName, .Items, .Total, .Link)"}},
		"another text's field": {func(s string) string { return strings.Replace(s, "{{.Code}}", "{{.Items}}", 1) },
			[]string{"m.yaml:10: locales.en.coupon: {{.Items}} is not a field of the coupon text"}},
		"field inside if": {func(s string) string { return strings.Replace(s, "{{.FirstName}}", "{{if .Name}}x{{end}}", 1) },
			[]string{"m.yaml:11: locales.en.clarification: {{.Name}} is not a field"}},
		"missing text": {func(s string) string { return strings.Replace(s, `    more_items: "and {{.Count}} more"`+"\n", "", 1) },
			[]string{"m.yaml:3: locales.en: has no more_items text"}},
		"unknown key": {func(s string) string { return strings.Replace(s, "    coupon:", "    cupon: x\n    coupon:", 1) },
			[]string{`m.yaml:10: locales.en: unknown key "cupon"`}},
		"syntax": {func(s string) string { return strings.Replace(s, "{{.Count}}", "{{.Count", 1) },
			[]string{"m.yaml:9: locales.en.more_items: does not parse"}},
		"fallback not a locale": {func(s string) string { return strings.Replace(s, "fallback: en", "fallback: fr", 1) },
			[]string{`m.yaml:1: fallback: "fr" is not one of the locales (en)`}},
		"no fallback": {func(s string) string { return strings.Replace(s, "fallback: en\n", "", 1) },
			[]string{"fallback: is required"}},
		"bad locale tag": {func(s string) string { return strings.Replace(s, "  en:", "  english:", 1) + "" },
			[]string{`locales: "english" is not a language tag`}},
		"country twice": {func(s string) string {
			return strings.Replace(s, "    money:", "    countries: [MX, mx]\n    money:", 1)
		}, []string{"m.yaml:4: locales.en.countries: MX is already the country of locale en"}},
		"not a country": {func(s string) string { return strings.Replace(s, "    money:", "    countries: [XQ]\n    money:", 1) },
			[]string{`locales.en.countries: "XQ" is not an ISO 3166 country code`}},
		"no money": {func(s string) string { return strings.Replace(s, `    money: {decimal: ".", group: ","}`+"\n", "", 1) },
			[]string{"locales.en.money: is required"}},
		"too long": {func(s string) string {
			return strings.Replace(s, `"Reply 1 or 2, {{.FirstName}}"`, strings.Repeat("a", MaxTextRunes+1), 1)
		}, []string{"m.yaml:11: locales.en.clarification: is 1001 characters; at most 1000"}},
		"two problems at once": {func(s string) string {
			return strings.Replace(strings.Replace(s, "{{.Total}}", "{{.Totl}}", 1), "{{.Code}}", "{{.Coupon}}", 1)
		}, []string{"{{.Totl}}", "{{.Coupon}}"}},
	} {
		_, err := Parse("m.yaml", []byte(tc.edit(goodFile)))
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		for _, want := range tc.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v\nlacks %q", name, err, want)
			}
		}
	}
}

func TestLoad(t *testing.T) {
	if f, err := Load(""); err != nil || len(f.Locales()) != 4 {
		t.Fatalf("Load(\"\") = %v", err)
	}
	path := filepath.Join(t.TempDir(), "messages.yaml")
	if err := os.WriteFile(path, []byte(goodFile), 0o600); err != nil {
		t.Fatal(err)
	}
	if f, err := Load(path); err != nil || !slices.Equal(f.Locales(), []string{"en"}) {
		t.Fatalf("Load(%s) = %v", path, err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none.yaml")); err == nil || !strings.Contains(err.Error(), "CARTBACK_MESSAGES_FILE") {
		t.Fatalf("a missing file: %v", err)
	}
}
