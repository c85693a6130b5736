package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cartback/cartback/config"
	"github.com/cartback/cartback/messages"
	"github.com/cartback/cartback/whatsapp"
	"github.com/cartback/cartback/workflows"
)

// readmeTemplate reads the README's "The template to register with Meta" section: its text before
// the first language, and each language's subsection ("### es_MX"), by Meta's language code, their
// lines joined and their spaces collapsed.
func readmeTemplate(t *testing.T) (intro string, languages map[string]string) {
	t.Helper()
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## The template to register with Meta\n")
	if !ok {
		t.Fatal(`the README has no "## The template to register with Meta" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	parts := strings.Split(section, "\n### ")
	languages = map[string]string{}
	for _, p := range parts[1:] {
		heading, body, _ := strings.Cut(p, "\n")
		lang := strings.Trim(strings.Fields(heading)[0], "`:")
		languages[lang] = strings.Join(strings.Fields(body), " ")
	}
	return strings.Join(strings.Fields(parts[0]), " "), languages
}

// TestTemplateTextIsTheREADMEs: what the sandbox shows of the check-in template is what the README
// asks people to register, word for word, under the default name, in every language of the
// default messages file.
func TestTemplateTextIsTheREADMEs(t *testing.T) {
	intro, languages := readmeTemplate(t)
	if m := regexp.MustCompile("named `([^`]+)`").FindAllStringSubmatch(intro, -1); len(m) != 1 || m[0][1] != config.DefaultTemplateName {
		t.Errorf("the README names the template %v, the default is %s", m, config.DefaultTemplateName)
	}
	var want []string
	file := messages.Default()
	for _, key := range file.Locales() {
		m, _ := file.Locale(key)
		if m.TemplateLanguage == "" {
			m.TemplateLanguage = config.DefaultTemplateLanguage
		}
		want = append(want, m.TemplateLanguage)
	}
	slices.Sort(want)
	if got := slices.Sorted(maps.Keys(languages)); !slices.Equal(got, want) || !slices.Equal(got, slices.Sorted(maps.Keys(checkInTemplates))) {
		t.Errorf("the README's languages %v, the messages file's %v, the sandbox's %v", got, want, slices.Sorted(maps.Keys(checkInTemplates)))
	}
	for lang, section := range languages {
		find := func(re string) [][]string { return regexp.MustCompile(re).FindAllStringSubmatch(section, -1) }
		want, ok := checkInTemplates[lang]
		if !ok {
			continue
		}
		if m := find("- Body: `([^`]+)`"); len(m) != 1 || m[0][1] != want.Body {
			t.Errorf("%s: README body %q,\nsandbox body %q", lang, m, want.Body)
		}
		if m := find(`- Footer \(optional\): ` + "`([^`]+)`"); len(m) != 1 || m[0][1] != want.Footer {
			t.Errorf("%s: README footer %q, sandbox footer %q", lang, m, want.Footer)
		}
		var buttons []string
		for _, m := range find(`- Button (\d+) \(quick reply\): ` + "`([^`]+)`") {
			if i, _ := strconv.Atoi(m[1]); i != len(buttons) {
				t.Fatalf("%s: README button %s out of order", lang, m[1])
			}
			buttons = append(buttons, m[2])
		}
		if !slices.Equal(buttons, want.Buttons) {
			t.Errorf("%s: README buttons %q, sandbox buttons %q", lang, buttons, want.Buttons)
		}
		if want.Buttons[workflows.PositiveButtonIndex] == "" || want.Buttons[workflows.NegativeButtonIndex] == "" {
			t.Errorf("%s: buttons %q lack one the flow reads", lang, want.Buttons)
		}
		for _, b := range want.Buttons {
			if utf8.RuneCountInString(b) > 25 {
				t.Errorf("%s: button %q is longer than Meta's 25 characters", lang, b)
			}
		}
		if utf8.RuneCountInString(want.Footer) > 60 {
			t.Errorf("%s: footer %q is longer than Meta's 60 characters", lang, want.Footer)
		}
	}
}

func TestFill(t *testing.T) {
	for _, tc := range []struct {
		body   string
		params []string
		want   string
	}{
		{"Hi {{1}}, you left something", []string{"Sheena"}, "Hi Sheena, you left something"},
		{"{{2}} and {{1}}, {{1}}", []string{"a", "b"}, "b and a, a"},
		{"Hi {{1}}, {{2}}", []string{"Sheena"}, "Hi Sheena, {{2}}"}, // a missing parameter shows
		{"{{0}} {{x}} {1}", []string{"a"}, "{{0}} {{x}} {1}"},
		{"Hi {{1}}", []string{"{{1}}"}, "Hi {{1}}"}, // a parameter is not read as a placeholder
	} {
		if got := fill(tc.body, tc.params); got != tc.want {
			t.Errorf("fill(%q, %q) = %q, want %q", tc.body, tc.params, got, tc.want)
		}
	}
}

// sendNamed sends a template of another name or language, with the two buttons.
func sendNamed(t *testing.T, c *whatsapp.Client, name, language string) string {
	t.Helper()
	id, err := c.SendTemplate(context.Background(), whatsapp.TemplateMessage{
		To: shopper, Name: name, Language: language, BodyParams: []string{"Sheena", "12"},
		QuickReplies: []string{workflows.PositivePayload(cartID), workflows.NegativePayload(cartID)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestTemplateShowsWhatTheShopperReads: the check-in template shows its text with the first name
// in it, its footer and its buttons' labels, in the page as in the API; a template the sandbox
// does not know shows its name and parameters; Options.TemplateName says which name is the
// check-in template.
func TestTemplateShowsWhatTheShopperReads(t *testing.T) {
	rcv := newReceiver(t)
	sb, base := start(t, rcv)
	c := client(t, sb, base, token)
	sendTemplate(t, c, "Sheena")
	sendNamed(t, c, "spring_sale", "en_US")
	sendNamed(t, c, config.DefaultTemplateName, "fr_FR") // no such translation in the table

	conv := sb.Conversation(shopper)
	wantText := "Hi Sheena, you left something in your cart. Do you still want it? Reply 1 (or A) if you still want it, 2 (or B) if something stopped you."
	if e := conv[0]; e.Text != wantText || e.Footer != "Reply STOP to stop these messages" ||
		fmt.Sprint(e.Buttons) != fmt.Sprint([]Button{{0, "1 - Still want it", workflows.PositivePayload(cartID)}, {1, "2 - Something stopped me", workflows.NegativePayload(cartID)}}) {
		t.Errorf("check-in template entry %+v", e)
	}
	for _, e := range conv[1:] {
		if e.Text != e.Template.Name+": Sheena, 12" || e.Footer != "" || len(e.Buttons) != 2 || e.Buttons[0].Label != "Button 0" || e.Buttons[1].Label != "Button 1" {
			t.Errorf("unknown template %s/%s entry %+v", e.Template.Name, e.Template.Language, e)
		}
	}

	_, _, page := get(t, base+"/sandbox")
	for _, want := range []string{
		`<div class="text">` + wantText + `</div>`,
		`<div class="footer">Reply STOP to stop these messages</div>`,
		`<div class="template-name">spring_sale</div>`,
		`<ol class="params"><li>Sheena</li><li>12</li></ol>`,
		`<span class="template-ref">spring_sale · en_US</span>`,
		`<span class="template-ref">cart_check_in · fr_FR</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if n := strings.Count(page, `<div class="template-name">`); n != 2 {
		t.Errorf("%d templates shown by name, want the 2 unknown ones", n)
	}

	var v struct {
		Conversations []struct {
			Entries []struct {
				Text     string `json:"text"`
				Footer   string `json:"footer"`
				Template struct {
					Known bool `json:"known"`
				} `json:"template"`
			} `json:"entries"`
		} `json:"conversations"`
	}
	_, _, body := get(t, base+"/sandbox/api/conversations")
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	if es := v.Conversations[0].Entries; !es[0].Template.Known || es[0].Text != wantText || es[0].Footer == "" || es[1].Template.Known || es[2].Template.Known {
		t.Errorf("API entries %+v", es)
	}

	// Registered under another name (WHATSAPP_TEMPLATE_NAME): that name shows the text.
	other, err := New(Options{PhoneNumberID: phoneID, Token: token, AppSecret: appSecret, WebhookURL: rcv.url, TemplateName: "spring_sale"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	e := other.outEntry(sb.graph.Messages()[1], fixedNow)
	if e.Text != "Hi Sheena, you left something in your cart. Do you still want it? Reply 1 (or A) if you still want it, 2 (or B) if something stopped you." ||
		e.Buttons[1].Label != "2 - Something stopped me" {
		t.Errorf("with TemplateName spring_sale: %+v", e)
	}
}

// TestStatusLabels: our sends read sent and delivered; the shopper's messages say whether our
// webhook took them, not "delivered".
func TestStatusLabels(t *testing.T) {
	rcv := newReceiver(t)
	sb, base := start(t, rcv)
	sendTemplate(t, client(t, sb, base, token), "Sheena")
	waitUntil(t, "the template is delivered", func() bool { return sb.Conversation(shopper)[0].Status == StatusDelivered })
	if err := sb.Reply(context.Background(), shopper, "hello"); err != nil {
		t.Fatal(err)
	}
	rcv.answer.Store(http.StatusUnauthorized)
	_ = sb.Reply(context.Background(), shopper, "again")

	_, _, page := get(t, base+"/sandbox")
	for _, want := range []string{
		`<span class="status status-delivered" data-testid="status">delivered</span>`,
		`<span class="status status-accepted" data-testid="status">accepted by cartback</span>`,
		`<span class="status status-failed" data-testid="status">not accepted by cartback</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if n := strings.Count(page, ">delivered</span>"); n != 1 {
		t.Errorf("%d messages labelled delivered, want only our template", n)
	}
	for _, tc := range []struct {
		e    Entry
		want string
	}{
		{Entry{Direction: DirectionOut, Status: StatusSent}, "sent"},
		{Entry{Direction: DirectionIn}, "sending to cartback"},
		{Entry{Direction: DirectionIn, Status: StatusAccepted}, "accepted by cartback"},
		{Entry{Direction: DirectionIn, Status: StatusFailed}, "not accepted by cartback"},
	} {
		if got := statusLabel(tc.e); got != tc.want {
			t.Errorf("statusLabel(%+v) = %q, want %q", tc.e, got, tc.want)
		}
	}
}

func TestEndedTemplates(t *testing.T) {
	tpl := func(id string) Entry { return Entry{Direction: DirectionOut, Kind: KindTemplate, MessageID: id} }
	out := Entry{Direction: DirectionOut, Kind: KindText, MessageID: "follow-up"}
	text := func(s, status string) Entry {
		return Entry{Direction: DirectionIn, Kind: KindText, Text: s, Status: status}
	}
	tap := func(id, status string) Entry {
		return Entry{Direction: DirectionIn, Kind: KindButton, ContextID: id, Status: status}
	}
	for _, tc := range []struct {
		name    string
		entries []Entry
		want    []bool
	}{
		{"waiting", []Entry{tpl("a")}, []bool{false}},
		{"follow-up sent", []Entry{tpl("a"), tap("a", StatusAccepted), out}, []bool{true, false, false}},
		{"tap accepted, follow-up to come", []Entry{tpl("a"), tap("a", StatusAccepted)}, []bool{true, false}},
		{"tap refused by our webhook", []Entry{tpl("a"), tap("a", StatusFailed)}, []bool{false, false}},
		{"tap in flight", []Entry{tpl("a"), tap("a", "")}, []bool{false, false}},
		{"tap on another message", []Entry{tpl("a"), tap("z", StatusAccepted)}, []bool{false, false}},
		{"a newer template", []Entry{tpl("a"), tpl("b")}, []bool{true, false}},
		{"an old template tapped", []Entry{tpl("a"), tpl("b"), tap("a", StatusAccepted)}, []bool{true, false, false}},
		{"typed answer", []Entry{tpl("a"), text(" 2. ", StatusAccepted)}, []bool{true, false}},
		{"typed STOP", []Entry{tpl("a"), text("Stop!", StatusAccepted)}, []bool{true, false}},
		{"typed chatter", []Entry{tpl("a"), text("is it blue?", StatusAccepted)}, []bool{false, false}},
		{"typed answer refused", []Entry{tpl("a"), text("1", StatusFailed)}, []bool{false, false}},
		{"answer before the template", []Entry{text("1", StatusAccepted), tpl("a")}, []bool{false, false}},
	} {
		if got := endedTemplates(tc.entries); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestEndedConversationsButtonsAreOff: once the follow-up came, the template's buttons are off in
// the page and the API; a waiting template's stay on.
func TestEndedConversationsButtonsAreOff(t *testing.T) {
	rcv := newReceiver(t)
	sb, base := start(t, rcv)
	c := client(t, sb, base, token)
	tplID := sendTemplate(t, c, "Sheena")
	button := `<button type="button" data-testid="quick-reply" data-index="0" data-message-id="` + tplID + `"`
	if _, _, page := get(t, base+"/sandbox"); !strings.Contains(page, button+">") || strings.Contains(page, " disabled") {
		t.Errorf("a waiting template's buttons are not on:\n%s", page)
	}
	if _, err := c.SendText(context.Background(), whatsapp.TextMessage{To: shopper, Body: "Here is your cart"}); err != nil {
		t.Fatal(err)
	}
	_, _, page := get(t, base+"/sandbox")
	if !strings.Contains(page, button+` disabled title="`+endedTitle+`">`) || strings.Count(page, " disabled title=") != 2 {
		t.Errorf("an ended template's buttons are on:\n%s", page)
	}
	_, _, body := get(t, base+"/sandbox/api/conversations")
	if strings.Count(body, `"ended":true`) != 1 {
		t.Errorf("API: %s", body)
	}
}

func TestFavicon(t *testing.T) {
	rcv := newReceiver(t)
	sb, _ := start(t, rcv)
	mux := http.NewServeMux()
	mux.Handle("/sandbox/", sb.Handler())
	mux.Handle("GET /favicon.ico", sb.Handler()) // as the dev server mounts it
	srv := newServer(t, mux)
	for _, path := range []string{"/favicon.ico", "/sandbox/favicon.ico"} {
		code, h, body := get(t, srv+path)
		if code != http.StatusOK || h.Get("Content-Type") != "image/png" {
			t.Fatalf("GET %s: %d %s", path, code, h.Get("Content-Type"))
		}
		img, err := png.Decode(bytes.NewReader([]byte(body)))
		if err != nil || img.Bounds().Dx() != 32 || img.Bounds().Dy() != 32 {
			t.Errorf("GET %s: not a 32×32 PNG: %v", path, err)
		}
	}
}

// newServer serves h for the test and returns its base URL.
func newServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestTemplateInTheShoppersLanguage: a check-in template sent in a locale's language shows that
// language's text and buttons, as the shopper would read it.
func TestTemplateInTheShoppersLanguage(t *testing.T) {
	rcv := newReceiver(t)
	sb, base := start(t, rcv)
	c := client(t, sb, base, token)
	for _, lang := range []string{"es_MX", "id", "pt_BR"} {
		sendNamed(t, c, config.DefaultTemplateName, lang)
	}
	conv := sb.Conversation(shopper)
	for i, want := range []struct{ text, positive string }{
		{"Hola Sheena, dejaste algo en tu carrito.", "1 - Sí, lo quiero"},
		{"Hai Sheena, ada barang yang masih tertinggal di keranjangmu.", "1 - Masih mau"},
		{"Oi Sheena, você deixou algo no seu carrinho.", "1 - Ainda quero"},
	} {
		if e := conv[i]; !strings.HasPrefix(e.Text, want.text) || len(e.Buttons) == 0 || e.Buttons[0].Label != want.positive {
			t.Errorf("entry %d %+v, want %q and the button %q", i, e, want.text, want.positive)
		}
	}
}
