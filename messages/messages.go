// Package messages reads the messages file (CARTBACK_MESSAGES_FILE, else the default embedded in
// the binary): per locale, the check-in template registered with Meta and the follow-up texts. It
// checks every text when the file is loaded, chooses a shopper's locale, and renders the texts.
package messages

import (
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/cartback/cartback/phone"
	"github.com/cartback/cartback/workflows"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultName is how errors name the embedded default file.
const DefaultName = "messages/default.yaml (embedded)"

// MaxTextRunes bounds a text of the file: with a cart URL of 2,000 characters and the lines it
// lists, a follow-up must stay under WhatsApp's 4,096.
const MaxTextRunes = 1000

// The texts of a locale, and the fields each may use.
var textFields = map[string][]string{
	"reminder":      {"FirstName", "Items", "Total", "Link"},
	"more_items":    {"Count"},
	"coupon":        {"FirstName", "Code", "Discount", "Link"},
	"clarification": {"FirstName"},
}

// ReminderFields fill the reminder text.
type ReminderFields struct{ FirstName, Items, Total, Link string }

// MoreItemsFields fill the more_items text.
type MoreItemsFields struct{ Count int }

// CouponFields fill the coupon text.
type CouponFields struct{ FirstName, Code, Discount, Link string }

// ClarificationFields fill the clarification text.
type ClarificationFields struct{ FirstName string }

// sampleFields are what a text is tried with at load: a text that fails on them would fail a send.
var sampleFields = map[string]any{
	"reminder":      ReminderFields{"Sheena", "• 2 × Shoes: 129.98 USD", "129.98 USD", "https://shop.example.com/cart/c1"},
	"more_items":    MoreItemsFields{3},
	"coupon":        CouponFields{"Sheena", "SAVE10", "10%", "https://shop.example.com/cart/c1"},
	"clarification": ClarificationFields{"Sheena"},
}

// File is a loaded messages file: every locale's messages, and which to use when none fits.
type File struct {
	fallback  string
	locales   map[string]workflows.Messages // by locale key, lower case ("es", "pt-br")
	countries map[string]string             // ISO 3166 region → locale key
}

// Default is the embedded default file. It is checked by the tests, so it never fails to load.
func Default() *File {
	f, err := Parse(DefaultName, defaultYAML)
	if err != nil {
		panic(err)
	}
	return f
}

// Load reads the messages file at path; an empty path is the embedded default.
func Load(path string) (*File, error) {
	if path == "" {
		return Parse(DefaultName, defaultYAML)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("the messages file (CARTBACK_MESSAGES_FILE): %w", err)
	}
	return Parse(path, b)
}

// Parse reads a messages file's text; name is how its errors name it. Every problem is reported,
// each with its line: an unknown key, a missing text, a text that does not parse, a field the text
// does not have ("{{.Discont}}"), a country in two locales, a fallback that is not a locale.
func Parse(name string, data []byte) (*File, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &parser{name: name, f: &File{locales: map[string]workflows.Messages{}, countries: map[string]string{}}}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: must be a mapping with fallback and locales", name)
	}
	root := doc.Content[0]
	fields := p.mapping(root, "", "fallback", "locales")
	if n := fields["locales"]; n == nil || n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		p.fail(root, "", "locales: must list at least one locale")
	} else {
		for i := 0; i < len(n.Content); i += 2 {
			p.locale(n.Content[i], n.Content[i+1])
		}
	}
	if n := fields["fallback"]; n == nil {
		p.fail(root, "", "fallback: is required (the locale of a shopper no other locale fits)")
	} else if _, ok := p.f.locales[localeKey(n.Value)]; !ok && len(p.f.locales) > 0 {
		p.fail(n, "fallback", fmt.Sprintf("%q is not one of the locales (%s)", n.Value, strings.Join(p.f.Locales(), ", ")))
	} else {
		p.f.fallback = localeKey(n.Value)
	}
	if err := errors.Join(p.errs...); err != nil {
		return nil, err
	}
	return p.f, nil
}

// Locales lists the file's locale keys, sorted.
func (f *File) Locales() []string { return slices.Sorted(maps.Keys(f.locales)) }

// Fallback is the messages of the fallback locale.
func (f *File) Fallback() workflows.Messages { return f.locales[f.fallback] }

// Locale is the messages of one locale of the file, by its key.
func (f *File) Locale(key string) (workflows.Messages, bool) {
	m, ok := f.locales[localeKey(key)]
	return m, ok
}

// For chooses a shopper's messages: the cart's locale (the whole tag, "pt_BR" as "pt-br", then its
// language, "pt"), else the locale listing the country of their number (E.164), else the fallback.
func (f *File) For(locale, e164 string) workflows.Messages {
	if key := localeKey(locale); key != "" {
		if m, ok := f.locales[key]; ok {
			return m
		}
		lang, _, _ := strings.Cut(key, "-")
		if m, ok := f.locales[lang]; ok {
			return m
		}
	}
	if key, ok := f.countries[phone.Region(e164)]; ok {
		return f.locales[key]
	}
	return f.Fallback()
}

// localeKey is how locales are compared: "pt_BR", "PT-br" and "pt-BR" are "pt-br".
func localeKey(tag string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(tag), "_", "-"))
}

// parser collects every problem of a file, so that one start reports them all.
type parser struct {
	name string
	f    *File
	errs []error
}

func (p *parser) fail(n *yaml.Node, path, why string) {
	p.errs = append(p.errs, fmt.Errorf("%s:%d: %s", p.name, n.Line, strings.TrimPrefix(path+": "+why, ": ")))
}

// mapping returns n's values by key, reporting keys that are not known and n not being a mapping.
func (p *parser) mapping(n *yaml.Node, path string, known ...string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		p.fail(n, path, "must be a mapping of "+strings.Join(known, ", "))
		return out
	}
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(known, k.Value) {
			p.fail(k, path, fmt.Sprintf("unknown key %q (known: %s)", k.Value, strings.Join(known, ", ")))
			continue
		}
		out[k.Value] = v
	}
	return out
}

// scalar is n's text, reporting a value that is not one.
func (p *parser) scalar(n *yaml.Node, path string) string {
	if n.Kind != yaml.ScalarNode {
		p.fail(n, path, "must be text")
		return ""
	}
	return n.Value
}

func (p *parser) locale(k, v *yaml.Node) {
	key, path := localeKey(k.Value), "locales."+k.Value
	if !isLocaleTag(key) {
		p.fail(k, "locales", fmt.Sprintf("%q is not a language tag such as en, pt-BR or es-419", k.Value))
		return
	}
	if _, dup := p.f.locales[key]; dup {
		p.fail(k, "locales", fmt.Sprintf("%q is listed twice", k.Value))
		return
	}
	known := append([]string{"template", "countries", "money"}, slices.Sorted(maps.Keys(textFields))...)
	fields := p.mapping(v, path, known...)
	m := workflows.Messages{Locale: key}
	if t := fields["template"]; t != nil {
		tf := p.mapping(t, path+".template", "name", "language")
		if n := tf["name"]; n != nil {
			m.TemplateName = p.scalar(n, path+".template.name")
		}
		if n := tf["language"]; n != nil {
			m.TemplateLanguage = p.scalar(n, path+".template.language")
		}
	}
	if c := fields["countries"]; c != nil {
		p.countries(c, path+".countries", key)
	}
	m.Money = p.money(fields["money"], v, path+".money")
	texts := map[string]*string{"reminder": &m.Reminder, "more_items": &m.MoreItems, "coupon": &m.Coupon, "clarification": &m.Clarification}
	for _, name := range slices.Sorted(maps.Keys(textFields)) {
		n := fields[name]
		if n == nil {
			p.fail(k, path, "has no "+name+" text")
			continue
		}
		*texts[name] = p.text(n, path+"."+name, name)
	}
	p.f.locales[key] = m
}

func (p *parser) countries(n *yaml.Node, path, key string) {
	if n.Kind != yaml.SequenceNode {
		p.fail(n, path, "must be a list of ISO 3166 country codes")
		return
	}
	for _, c := range n.Content {
		code := strings.ToUpper(p.scalar(c, path))
		switch other, dup := p.f.countries[code]; {
		case !phone.IsRegion(code):
			p.fail(c, path, fmt.Sprintf("%q is not an ISO 3166 country code", c.Value))
		case dup:
			p.fail(c, path, fmt.Sprintf("%s is already the country of locale %s", code, other))
		default:
			p.f.countries[code] = key
		}
	}
}

func (p *parser) money(n, parent *yaml.Node, path string) workflows.MoneyFormat {
	var f workflows.MoneyFormat
	if n == nil {
		p.fail(parent, path, "is required: the decimal and group separators of the locale's amounts")
		return f
	}
	fields := p.mapping(n, path, "decimal", "group", "symbols")
	if d := fields["decimal"]; d != nil {
		f.Decimal = p.scalar(d, path+".decimal")
	}
	if f.Decimal == "" {
		p.fail(n, path, "has no decimal separator")
	}
	if g := fields["group"]; g != nil {
		f.Group = p.scalar(g, path+".group")
	}
	if s := fields["symbols"]; s != nil {
		if s.Kind != yaml.MappingNode {
			p.fail(s, path+".symbols", "must map ISO 4217 codes to symbols")
			return f
		}
		f.Symbols = map[string]string{}
		for i := 0; i < len(s.Content); i += 2 {
			f.Symbols[strings.ToUpper(s.Content[i].Value)] = p.scalar(s.Content[i+1], path+".symbols")
		}
	}
	return f
}

// text checks one text: it parses, uses only its fields, renders with sample fields, and is not
// too long. Problems are reported at the line of the text where they are.
func (p *parser) text(n *yaml.Node, path, name string) string {
	src := p.scalar(n, path)
	if strings.TrimSpace(src) == "" {
		p.fail(n, path, "is empty")
		return ""
	}
	if r := utf8.RuneCountInString(src); r > MaxTextRunes {
		p.fail(n, path, fmt.Sprintf("is %d characters; at most %d", r, MaxTextRunes))
		return ""
	}
	t, err := template.New(name).Option("missingkey=error").Parse(src)
	if err != nil {
		p.fail(n, path, "does not parse: "+strings.TrimPrefix(err.Error(), "template: "))
		return ""
	}
	// A block scalar (| or >) starts on the line after its key.
	first := n.Line
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		first++
	}
	ok := true
	walk(t.Root, func(f *parse.FieldNode) {
		if !slices.Contains(textFields[name], f.Ident[0]) {
			ok = false
			line := first + strings.Count(src[:f.Position()], "\n")
			p.errs = append(p.errs, fmt.Errorf("%s:%d: %s: {{.%s}} is not a field of the %s text (it has %s)",
				p.name, line, path, strings.Join(f.Ident, "."), name, fieldList(name)))
		}
	})
	if !ok {
		return ""
	}
	if _, err := Render(src, sampleFields[name]); err != nil {
		p.fail(n, path, "does not render: "+err.Error())
		return ""
	}
	return src
}

func fieldList(name string) string {
	fs := make([]string, len(textFields[name]))
	for i, f := range textFields[name] {
		fs[i] = "." + f
	}
	return strings.Join(fs, ", ")
}

// walk calls fn with every field a template's tree reads.
func walk(n parse.Node, fn func(*parse.FieldNode)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walk(c, fn)
		}
	case *parse.ActionNode:
		walk(n.Pipe, fn)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walk(c, fn)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			walk(a, fn)
		}
	case *parse.FieldNode:
		fn(n)
	case *parse.ChainNode:
		walk(n.Node, fn)
	case *parse.IfNode:
		walkBranch(&n.BranchNode, fn)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode, fn)
	case *parse.WithNode:
		walkBranch(&n.BranchNode, fn)
	case *parse.TemplateNode:
		walk(n.Pipe, fn)
	}
}

func walkBranch(b *parse.BranchNode, fn func(*parse.FieldNode)) {
	walk(b.Pipe, fn)
	walk(b.List, fn)
	walk(b.ElseList, fn)
}

// isLocaleTag accepts the shapes the API accepts as customer.locale: "en", "pt-br", "es-419".
func isLocaleTag(key string) bool {
	lang, region, hasRegion := strings.Cut(key, "-")
	ok := len(lang) >= 2 && len(lang) <= 3 && strings.Trim(lang, "abcdefghijklmnopqrstuvwxyz") == ""
	if hasRegion {
		ok = ok && (len(region) == 2 && strings.Trim(region, "abcdefghijklmnopqrstuvwxyz") == "" ||
			len(region) == 3 && strings.Trim(region, "0123456789") == "")
	}
	return ok
}

// Render fills a text of the file with its fields (ReminderFields, CouponFields...).
func Render(text string, fields any) (string, error) {
	t, err := template.New("text").Option("missingkey=error").Parse(text)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, fields); err != nil {
		return "", err
	}
	return b.String(), nil
}
